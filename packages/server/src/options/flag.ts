/**
 * Options as data: each command describes its flags once, in a table keyed by the option's name in the
 * library (`idleTimeoutMs`, not commander's `idleTimeout`). The commander options, the parsed values'
 * type and the help text all come from that table, so a flag cannot drift from the option it sets.
 */
import { Option } from 'commander';

/** One flag: how it is written, what it means, how its value is read. */
export interface FlagSpec<T> {
  /** As commander takes it: `--idle-timeout <duration>`, `--dry-run`. */
  readonly flags: string;
  readonly description: string;
  /** Turns the text into the value; throws commander's InvalidArgumentError (see common's cli-args). */
  readonly parse?: (text: string) => T;
  readonly choices?: readonly string[];
  /** Shown in --help instead of the raw default (e.g. "30s" for 30000). */
  readonly defaultText?: string;
  /** An environment variable read when the flag is not given. */
  readonly env?: string;
  /** Hidden from --help (kept for compatibility or tests). */
  readonly hidden?: boolean;
}

/** A flag whose value is always there: given, or its default. */
export interface DefaultedFlag<T> extends FlagSpec<T> {
  readonly default: T;
}

export type FlagTable = Readonly<Record<string, FlagSpec<unknown>>>;

/** The values a table parses to: defaulted flags are always set, the others may be undefined. */
export type FlagValues<Table extends FlagTable> = {
  -readonly [K in keyof Table]: Table[K] extends DefaultedFlag<infer T>
    ? T
    : Table[K] extends FlagSpec<infer T>
      ? T | undefined
      : never;
};

/** A flag with a value and a default. */
export function flag<T>(spec: DefaultedFlag<T>): DefaultedFlag<T>;
/** A flag that may be left out. */
export function flag<T = string>(spec: FlagSpec<T>): FlagSpec<T>;
export function flag<T>(spec: FlagSpec<T>): FlagSpec<T> {
  return spec;
}

/** A switch (`--dry-run`): false unless given. */
export function toggle(flags: string, description: string): DefaultedFlag<boolean> {
  return { flags, description, default: false };
}

function toOption(spec: FlagSpec<unknown>): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.parse) option.argParser(spec.parse);
  if (spec.choices) option.choices(spec.choices);
  if ('default' in spec) option.default((spec as DefaultedFlag<unknown>).default, spec.defaultText);
  if (spec.env) option.env(spec.env);
  if (spec.hidden) option.hideHelp();
  return option;
}

/** commander's options for a table, in table order. */
export function commanderOptions(table: FlagTable): Option[] {
  return Object.values(table).map(toOption);
}

/** Reads a table's values out of what commander parsed (its keys are camel-cased flag names). */
export function flagValues<Table extends FlagTable>(table: Table, parsed: Record<string, unknown>): FlagValues<Table> {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) values[key] = parsed[toOption(spec).attributeName()];
  return values as FlagValues<Table>;
}
