/**
 * The one table of driver kinds. Everything that names a driver is derived from it: lvs-verify's
 * `--driver` choices and per-driver flags, the cluster file's `driver:` schema, the lab's hand-over
 * (LabInfo.driver) and the journal's driverSpec. A new driver is one file in drivers/ and one entry here.
 */
import type { z } from 'zod';
import { type DriverDefinition, type DriverFlag, flagName, type Zod } from './definition.js';
import { agentDriver } from './drivers/agent.js';
import { builtinDriver } from './drivers/builtin.js';
import { commandDriver } from './drivers/command.js';
import { haproxyDriver } from './drivers/haproxy.js';
import { ipvsadmDriver } from './drivers/ipvsadm.js';
import { keepalivedDriver } from './drivers/keepalived.js';
import { manualDriver } from './drivers/manual.js';
import { nftDriver } from './drivers/nft.js';
import { DriverSpecError } from './errors.js';

export const DRIVERS = [
  ipvsadmDriver,
  haproxyDriver,
  nftDriver,
  commandDriver,
  manualDriver,
  builtinDriver,
  agentDriver,
  keepalivedDriver,
] as const;

/** A driver described as plain data: what flags, a cluster file, a lab and the journal hand to `createDriver`. */
export type DriverSpec = SpecOf<(typeof DRIVERS)[number]>;
type SpecOf<D> = D extends DriverDefinition<infer S> ? S : never;
export type DriverKind = DriverSpec['kind'];

// biome-ignore lint/suspicious/noExplicitAny: a definition of some kind; each is checked against its own spec where it is written.
type AnyDefinition = DriverDefinition<any>;

export const DRIVER_KINDS: readonly DriverKind[] = DRIVERS.map((d) => d.kind);

/** `ipvsadm, haproxy, nft, command, manual or builtin` */
export function driverKindList(conjunction = 'or'): string {
  return `${DRIVER_KINDS.slice(0, -1).join(', ')} ${conjunction} ${DRIVER_KINDS.at(-1)}`;
}

export function driverDefinition(kind: string): AnyDefinition | undefined {
  return (DRIVERS as readonly AnyDefinition[]).find((d) => d.kind === kind);
}

function definitionOf(kind: string): AnyDefinition {
  const d = driverDefinition(kind);
  if (!d) throw new DriverSpecError(`unknown driver "${kind}": expected ${driverKindList()}`);
  return d;
}

/** One flag as the command line sees it: shared flags (`--director`) appear once, with every kind using them. */
export interface DriverFlagUse {
  name: string;
  flag: DriverFlag<unknown>;
  kinds: DriverKind[];
}

/** Every driver flag once, in table order. Two kinds share a flag only by sharing its definition. */
export function driverFlagUses(): DriverFlagUse[] {
  const uses = new Map<string, DriverFlagUse>();
  for (const d of DRIVERS as readonly AnyDefinition[]) {
    for (const flag of Object.values<DriverFlag<unknown>>(d.flags)) {
      const name = flagName(flag);
      const seen = uses.get(name);
      if (seen && seen.flag !== flag) throw new Error(`${name} is defined twice (${seen.kinds[0]}, ${d.kind})`);
      if (seen) seen.kinds.push(d.kind);
      else uses.set(name, { name, flag, kinds: [d.kind] });
    }
  }
  return [...uses.values()];
}

/** The flags that give `spec` to lvs-verify drain-test: `--driver KIND` and a flag per setting, in table order. */
export function flagsFromSpec(spec: DriverSpec): string[] {
  const d = definitionOf(spec.kind);
  const argv = ['--driver', spec.kind];
  for (const [key, flag] of Object.entries<DriverFlag<unknown>>(d.flags)) {
    const value = (spec as Record<string, unknown>)[key];
    if (value !== undefined) argv.push(flagName(flag), flag.format ? flag.format(value) : String(value));
  }
  return argv;
}

/**
 * The spec that `--driver KIND` and its flags describe. `given` maps flag names (`--nft-table`) to their
 * parsed values; flags of other kinds are ignored. Every problem is named by its flag.
 */
export async function specFromFlags(kind: string, given: Readonly<Record<string, unknown>>): Promise<DriverSpec> {
  const d = definitionOf(kind);
  const spec: Record<string, unknown> = { kind };
  const flagOf = new Map<string, string>();
  for (const [key, flag] of Object.entries<DriverFlag<unknown>>(d.flags)) {
    flagOf.set(key, flagName(flag));
    const value = given[flagName(flag)];
    if (value !== undefined) spec[key] = value;
  }
  const r = d.schema(await loadZod()).safeParse(spec);
  if (r.success) return r.data as DriverSpec;
  const missing = r.error.issues.filter((i) => i.path.length === 1 && spec[String(i.path[0])] === undefined);
  if (missing.length > 0) {
    const names = missing.map((i) => flagOf.get(String(i.path[0])) ?? String(i.path[0]));
    throw new DriverSpecError(`--driver ${kind} needs ${listOf(names)}`);
  }
  const issue = r.error.issues[0]!;
  throw new DriverSpecError(`${flagOf.get(String(issue.path[0])) ?? `--driver ${kind}`}: ${issue.message}`);
}

/** Checks a spec read from outside (a journal file, a lab's state): it must be one of the table's. */
export async function parseDriverSpec(data: unknown): Promise<DriverSpec> {
  const r = driverSpecSchema(await loadZod()).safeParse(data);
  if (r.success) return r.data as DriverSpec;
  const kind = (data as { kind?: unknown } | null)?.kind;
  const d = typeof kind === 'string' ? driverDefinition(kind) : undefined;
  const what = (key: string) => {
    const flag = d?.flags[key] as DriverFlag<unknown> | undefined;
    return flag ? `${key} (${flagName(flag)})` : key || 'spec';
  };
  throw new DriverSpecError(
    `driver ${typeof kind === 'string' ? kind : 'spec'}: ${r.error.issues.map((i) => `${what(i.path.join('.'))}: ${i.message}`).join('; ')}`,
  );
}

/** Every kind's schema, told apart by `kind`. */
export function driverSpecSchema(z: Zod): z.ZodType<DriverSpec> {
  const schemas = (DRIVERS as readonly AnyDefinition[]).map((d) => d.schema(z));
  return z.discriminatedUnion(
    'kind',
    schemas as unknown as [z.ZodObject, ...z.ZodObject[]],
  ) as unknown as z.ZodType<DriverSpec>;
}

/**
 * The `driver:` of a cluster file: a spec whose keys may be spelled as in `configKey` and whose text
 * values are read by the flags' parsers (`timeout: 5s`), as on the command line.
 */
export function driverConfigSchema(z: Zod): z.ZodType<DriverSpec> {
  return z.preprocess((value, ctx) => {
    if (typeof value !== 'object' || value === null) return value;
    const d = driverDefinition(String((value as { kind?: unknown }).kind));
    if (!d) return value;
    const spec: Record<string, unknown> = { ...value };
    for (const [key, flag] of Object.entries<DriverFlag<unknown>>(d.flags)) {
      const from = flag.configKey ?? key;
      if (!(from in spec)) continue;
      const text = spec[from];
      delete spec[from];
      if (typeof text !== 'string' || !flag.parse) {
        spec[key] = text;
        continue;
      }
      try {
        spec[key] = flag.parse(text);
      } catch (err) {
        ctx.issues.push({ code: 'custom', message: (err as Error).message, input: text, path: [from] });
      }
    }
    return spec;
  }, driverSpecSchema(z));
}

function listOf(names: string[]): string {
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

async function loadZod(): Promise<Zod> {
  return (await import('zod')).z;
}
