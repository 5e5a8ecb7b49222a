/**
 * How a driver kind describes itself: the schema of its spec, a flag for every setting, one line of
 * description, a complete example, and how to build it. Every file in drivers/ exports one of these;
 * spec.ts lists them, and flags, the cluster file, the lab hand-over and the journal are derived from it.
 */
import type { z } from 'zod';
import type { DrainDriver } from './types.js';

/** zod, handed in when a schema is needed: loading it is a large part of a CLI's start-up time. */
export type Zod = typeof z;

/** One setting of a driver spec as a command-line flag (and as a cluster-file key). */
export interface DriverFlag<V> {
  /** The flag and its value's name, e.g. `--nft-table <name>`. */
  flag: string;
  /** One line for --help (the CLI prefixes the driver kinds that use it). */
  help: string;
  /** Text → value, for a flag and for a cluster file's text; default: the text itself. */
  parse?(text: string): V;
  /** Value → text, the inverse of `parse` (so a spec survives a trip through flags); default: String. */
  format?(value: V): string;
  /** The cluster-file key where it differs from the spec's (`timeout: 5s` for `timeoutMs`). */
  configKey?: string;
}

/** A flag for every setting of spec `S`: a setting that cannot be given on the command line does not type-check. */
export type DriverFlags<S> = { [K in Exclude<keyof S, 'kind'>]-?: DriverFlag<NonNullable<S[K]>> };

export interface DriverDefinition<S extends { kind: string }> {
  kind: S['kind'];
  /** One line: how this driver changes a weight. */
  description: string;
  /** The spec (see `specSchema`): its type is `z.output` of this schema. */
  schema: (z: Zod) => z.ZodType<S>;
  flags: DriverFlags<S>;
  /** Specs that between them give every setting: the first is shown in --help; the tests send each through flags and back. */
  examples: readonly [S, ...S[]];
  /** Builds the driver; heavy modules load here, not when the table is read. */
  create: (spec: S) => Promise<DrainDriver>;
}

/** The schema of a kind's spec: `kind` and its settings, and nothing else (a typo is an error, not ignored). */
export function specSchema<K extends string, S extends z.ZodRawShape>(kind: K, settings: (z: Zod) => S) {
  return (z: Zod) => z.object({ kind: z.literal(kind), ...settings(z) }).strict();
}

/** The spec a kind's settings make: `kind` and those settings. */
export type SpecOf<K extends string, S extends z.ZodRawShape> = { kind: K } & z.output<z.ZodObject<S>>;

/** A driver kind's definition from its kind and settings: the schema is built here, once for every kind. */
export function defineDriver<K extends string, S extends z.ZodRawShape>(
  kind: K,
  settings: (z: Zod) => S,
  definition: Omit<DriverDefinition<SpecOf<K, S>>, 'kind' | 'schema'>,
): DriverDefinition<SpecOf<K, S>> {
  const schema = specSchema(kind, settings) as unknown as DriverDefinition<SpecOf<K, S>>['schema'];
  return { kind, schema, ...definition } as DriverDefinition<SpecOf<K, S>>;
}

/** The first word of a flag: `--nft-table` for `--nft-table <name>`. */
export function flagName(flag: Pick<DriverFlag<unknown>, 'flag'>): string {
  return flag.flag.split(' ')[0]!;
}

/** The spec type of a definition. */
export type DriverSpec<D> = D extends DriverDefinition<infer S> ? S : never;
