/**
 * An option as data: its flag, its help, how its text is read, and how a cluster file gives it. The
 * commander options (options/commander.ts), the cluster-file schema (config.ts) and the types of both
 * are derived from tables of these.
 */
import {
  durationArgument,
  parseDuration,
  parseHostPort,
  parsePercent,
  percentArgument,
  wholeNumber,
} from '@lvs-drain-kit/common';
import type { Zod } from '@lvs-drain-kit/drivers';
import type { z } from 'zod';

/** `V`: the value a flag gives; `C`: the value a cluster file gives (`never`: not in a file). */
export interface OptionDef<V = unknown, C = unknown> {
  /** The flag and its value's name, e.g. `--hold <duration>`. */
  flag: string;
  help: string;
  /** Text → value (commander's argument parser; `previous` for repeatable flags). */
  parse?(text: string, previous: V): V;
  /** Shown as `(default …)`; the default itself is applied where the value is used. */
  defaultText?: string;
  choices?: readonly string[];
  hidden?: boolean;
  /** In a cluster file: the key there (default: the option's own), the schema of its value, whether it must be given. */
  config?: { key?: string; schema: (z: Zod) => z.ZodType<C>; required?: boolean };
}

/** Identity, so that the value types of a table entry are inferred from it. */
export function option<V, C = never>(def: OptionDef<V, C>): OptionDef<V, C> {
  return def;
}

/** The values of a table's flags, by option key, as the command line gives them. */
export type FlagValues<T> = { [K in keyof T]?: T[K] extends OptionDef<infer V, infer _C> ? V : never };

/** The values of a table's cluster-file keys, by option key, after validation. */
export type ConfigValuesOf<T> = {
  [K in keyof T as T[K] extends OptionDef<infer _V, infer C>
    ? [C] extends [never]
      ? never
      : K
    : never]?: T[K] extends OptionDef<infer _V, infer C> ? C : never;
};

/** A whole number within bounds, on the command line and in a file. */
export function count(flag: string, help: string, min: number, max: number, defaultValue?: number) {
  return option<number, number>({
    flag,
    help,
    parse: wholeNumber(min, max),
    ...(defaultValue !== undefined ? { defaultText: String(defaultValue) } : {}),
    config: { schema: (z) => z.number().int().min(min).max(max) },
  });
}

/** One of a few words, on the command line and in a file: the list is spelled once for both. */
export function choice<const C extends readonly [string, ...string[]]>(
  flag: string,
  help: string,
  choices: C,
  defaultValue: C[number],
) {
  return option<C[number], C[number]>({
    flag,
    help,
    choices,
    defaultText: defaultValue,
    config: { schema: (z) => z.enum(choices) },
  });
}

/** A duration: `500ms`, `5s`, `2m`, `1h` (a bare number is refused); the value is in milliseconds. */
export function duration(flag: string, help: string, defaultMs: number, configKey: string) {
  return option<number, number>({
    flag,
    help,
    parse: durationArgument,
    defaultText:
      defaultMs % 60_000 === 0 && defaultMs > 0
        ? `${defaultMs / 60_000}m`
        : defaultMs % 1000 === 0
          ? `${defaultMs / 1000}s`
          : `${defaultMs}ms`,
    config: { key: configKey, schema: durationSchema },
  });
}

/** A percentage: `5%`, `0.5%`; the value is a share (0.05). */
export function percent(flag: string, help: string, defaultShare: number) {
  return option<number, number>({
    flag,
    help,
    parse: percentArgument,
    defaultText: `${defaultShare * 100}%`,
    config: {
      schema: (z) =>
        z.string().transform((v, ctx) => {
          try {
            return parsePercent(v);
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: (err as Error).message });
            return z.NEVER;
          }
        }),
    },
  });
}

/** A flag without a value, and `true`/`false` in a file. */
export function flag(flag: string, help: string) {
  return option<boolean, boolean>({ flag, help, config: { schema: (z) => z.boolean() } });
}

/** Numbers too, so that `hold: 10` gets the same "has no unit" answer as `--hold 10`. */
export function durationSchema(z: Zod) {
  return z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    try {
      return parseDuration(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 500ms, 5s: ${(err as Error).message}` });
      return z.NEVER;
    }
  });
}

export function addressSchema(z: Zod) {
  return z.string().transform((text, ctx) => {
    try {
      return parseHostPort(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected HOST:PORT' });
      return z.NEVER;
    }
  });
}
