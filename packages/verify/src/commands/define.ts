/**
 * A command as data, like its options: its name, argument, option table, help and action in one object,
 * from which `register` builds the commander command. Every command of lvs-verify but `lab` (a group of
 * subcommands) is one of these, so each shows its help in the same order (its own sections, examples,
 * exit codes) and reads its flags, its driver flags and the signals the same way.
 */
import type { Command } from 'commander';
import { addDriverOptions, addOptions, readDriverFlags, readOptions } from '../options/commander.js';
import type { FlagValues, OptionDef } from '../options/define.js';
import { abortOnSignals } from './drain-test/signals.js';
import { exitCodesHelp, helpSection } from './help.js';

type OptionTable = Readonly<Record<string, OptionDef>>;

/** What an action gets: the argument (if the command takes one), the flags by option key, and its I/O. */
export interface CommandInput<T extends OptionTable> {
  argument: string;
  flags: FlagValues<T>;
  /** The option keys given on the command line: a flag wins over a cluster file only then. */
  given: ReadonlySet<string>;
  /** The driver flags given on the command line, by flag name. */
  driverFlags: Record<string, unknown>;
  io: CommandIo;
}

export interface CommandIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Aborted by SIGINT/SIGTERM when the command `catchesSignals`; never aborted otherwise. */
  signal: AbortSignal;
}

export interface CommandDef<T extends OptionTable> {
  name: string;
  description: string;
  /** The one positional argument, e.g. `['<server>', 'the real server …']`. */
  argument?: readonly [string, string];
  /** Its options, in --help order; the drivers' flags follow a `driver` key. */
  options: T;
  /** Help sections shown after the options, before the examples; lines given as a function are read when shown. */
  sections?: ReadonlyArray<readonly [string, readonly string[] | (() => readonly string[])]>;
  examples: readonly string[];
  exitCodes: ReadonlyArray<readonly [number, string]>;
  /**
   * A command that changes a weight: SIGINT/SIGTERM abort its run (which puts the weight back first)
   * instead of ending the process.
   */
  catchesSignals?: boolean;
  /** The run: resolves with the exit code. Modules it needs load inside it, so `--help` starts fast. */
  action(input: CommandInput<T>): Promise<number>;
}

/** The `register(program)` of a command: adds it with its options, help and action. */
export function defineCommand<T extends OptionTable>(def: CommandDef<T>): (program: Command) => void {
  return (program) => {
    const command = program.command(def.name).description(def.description);
    if (def.argument) command.argument(...def.argument);
    addOptions(command, def.options, { driver: addDriverOptions });
    for (const [title, lines] of def.sections ?? []) {
      command.addHelpText('after', () => helpSection(title, typeof lines === 'function' ? lines() : lines));
    }
    command
      .addHelpText('after', helpSection('Examples', def.examples))
      .addHelpText('after', exitCodesHelp(def.exitCodes))
      .action(async (...args: unknown[]) => {
        // commander passes the arguments, then the options, then the command itself.
        const cmd = args[args.length - 1] as Command;
        const signal = def.catchesSignals
          ? abortOnSignals((line) => process.stderr.write(`${line}\n`)).signal
          : new AbortController().signal;
        const { values, given } = readOptions(cmd, def.options);
        process.exitCode = await def.action({
          argument: def.argument ? String(args[0]) : '',
          flags: values,
          given,
          driverFlags: readDriverFlags(cmd),
          io: { stdout: process.stdout, stderr: process.stderr, signal },
        });
      });
  };
}
