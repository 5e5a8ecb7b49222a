/**
 * The shape every lvs-client command has: its flags and arguments as data, its examples and exit codes for
 * `--help`, and the action it registers itself with. `addCommand` turns that data into a commander command.
 */
import type { Readable, Writable } from 'node:stream';
import { DURATION_HELP } from '@lvs-drain-kit/common';
import { type Command, Option } from 'commander';
import { EXIT, type ExitName, exitHelpLines } from '../errors.js';

/** Said in every `--help` that has a duration flag (common's wording, the same in every CLI). */
export { DURATION_HELP } from '@lvs-drain-kit/common';

/** One flag, as data. */
export interface OptionSpec {
  /** commander's flags, e.g. `--timeout <duration>`. */
  flags: string;
  description: string;
  /** Turns the typed text into the value (throws commander's InvalidArgumentError on bad input). */
  parse?: (value: string, previous: unknown) => unknown;
  default?: unknown;
  /** The default as `--help` shows it, e.g. `5s` for 5000 ms. */
  defaultText?: string;
  /** Attribute names of flags this one cannot be given with. */
  conflicts?: string[];
}

export interface ArgumentSpec {
  /** `<host:port>`, `<host:port...>`, `<port>`. */
  name: string;
  description: string;
  parse?: (value: string, previous: never) => unknown;
}

export interface CommandSpec {
  name: string;
  /** One line, for the list of commands in `lvs-client --help`. */
  summary: string;
  description: string;
  arguments: ArgumentSpec[];
  options: OptionSpec[];
  /** `[command line, what it does]`, shown under Examples in the command's `--help`. */
  examples: Array<readonly [string, string]>;
  /** The exit codes this command can end with, for its `--help`. */
  exitCodes: ExitName[];
}

/** Where a command reads and writes; the real process's streams, or a test's. */
export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable;
  /** Resolves on SIGINT or SIGTERM: commands end the way /quit does, restoring the terminal. */
  stopped(): Promise<void>;
}

/** A command's action: plain options in, exit code out; failures are thrown as the classes of errors.ts. */
export type Action<O> = (options: O, io: CliIO) => Promise<number>;

export interface CommandContext {
  io: CliIO;
  /** Runs a command's action with the options its flags made; tests record the options instead. */
  perform<O>(action: Action<O>, options: O): void;
}

export function toOption(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.parse) option.argParser(spec.parse);
  if (spec.default !== undefined) option.default(spec.default, spec.defaultText);
  if (spec.conflicts) option.conflicts(spec.conflicts);
  return option;
}

function helpAfter(spec: CommandSpec): string {
  const examples = spec.examples.flatMap(([line, what]) => [`  # ${what}`, `  ${line}`]);
  const durations = spec.options.some((o) => o.flags.includes('<duration>')) ? ['', DURATION_HELP] : [];
  const codes = [...new Set<ExitName>(['ok', 'internal', 'usage', ...spec.exitCodes])].sort(
    (a, b) => EXIT[a] - EXIT[b],
  );
  return ['', 'Examples:', ...examples, ...durations, '', 'Exit codes:', ...exitHelpLines(codes)].join('\n');
}

/** Adds the command described by `spec` to `program`; the caller attaches its action. */
export function addCommand(program: Command, spec: CommandSpec): Command {
  const command = program.command(spec.name).summary(spec.summary).description(spec.description);
  for (const a of spec.arguments) command.argument(a.name, a.description, a.parse as never);
  for (const o of spec.options) command.addOption(toOption(o));
  return command.addHelpText('after', helpAfter(spec));
}
