/**
 * The cluster a command acts on, from its flags and a cluster file (flags win): the VIP, the real
 * servers, the driver's spec; and a server named on the command line, by name or address.
 */
import { AddressError, DurationError, formatHostPort, parseHostPort } from '@lvs-drain-kit/common';
import {
  type DriverKind,
  type DriverSpec,
  driverKindList,
  type RealServerRef,
  specFromFlags,
} from '@lvs-drain-kit/drivers';
import { UsageError } from '../errors.js';
import type { RealSpec } from '../options.js';
import { parseRealSpec } from '../real-spec.js';

export interface Cluster {
  vip: RealServerRef;
  reals: RealSpec[];
  driverSpec: DriverSpec;
}

interface ClusterFlags {
  vip?: string;
  reals?: string[];
  driver?: DriverKind;
}

interface ClusterConfig {
  vip?: RealServerRef;
  reals?: RealSpec[];
  driver?: DriverSpec;
}

/** Address and duration errors in flags are usage errors (exit 2). */
export async function asUsage<T>(task: () => Promise<T> | T): Promise<T> {
  try {
    return await task();
  } catch (err) {
    throw err instanceof AddressError || err instanceof DurationError ? new UsageError(err.message) : err;
  }
}

export async function clusterFrom(
  flags: ClusterFlags,
  driverFlags: Readonly<Record<string, unknown>>,
  config: ClusterConfig | undefined,
  minReals: number,
): Promise<Cluster> {
  return asUsage(async () => {
    const reals = flags.reals?.length ? flags.reals.map(parseRealSpec) : (config?.reals ?? []);
    const vip = flags.vip ? parseHostPort(flags.vip) : config?.vip;
    const driverSpec = flags.driver ? await specFromFlags(flags.driver, driverFlags) : config?.driver;
    if (!vip) throw new UsageError('missing --vip HOST:PORT (or --config FILE)');
    if (reals.length < minReals)
      throw new UsageError(`give at least ${minReals} --real HOST:PORT: one to drain, one to take the load`);
    if (!driverSpec) throw new UsageError(`missing --driver ${driverKindList()}`);
    return { vip: { host: vip.host, port: vip.port }, reals, driverSpec };
  });
}

/** `NAME` (of a `--real`) or `HOST:PORT`: the server and its name where known. */
export function serverFrom(text: string, reals: readonly RealSpec[]): RealSpec {
  const byName = reals.find((r) => r.name === text);
  if (byName) return byName;
  let hp: RealServerRef;
  try {
    hp = parseHostPort(text);
  } catch (err) {
    const names = reals.flatMap((r) => (r.name ? [r.name] : []));
    throw new UsageError(
      `${text}: neither HOST:PORT nor the name of a --real${names.length ? ` (${names.join(', ')})` : ''} (${(err as Error).message})`,
    );
  }
  return reals.find((r) => formatHostPort(r) === formatHostPort(hp)) ?? { host: hp.host, port: hp.port };
}

/** The run's settings: a flag given on the command line wins over the file, the file over the defaults. */
export function settingsFrom<K extends string>(
  keys: readonly K[],
  flags: Partial<Record<K, unknown>>,
  given: ReadonlySet<string>,
  config: Partial<Record<K, unknown>> | undefined,
): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  for (const key of keys) {
    const value = given.has(key) ? flags[key] : config?.[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
