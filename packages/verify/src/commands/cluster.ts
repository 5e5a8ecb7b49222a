/**
 * The cluster a command acts on, from its flags and a cluster file (flags win): the VIP, the real
 * servers, the driver's spec; and a server named on the command line, by name or address.
 */
import { AddressError, AddressResolver, DurationError, parseHostPort, sameHostPort } from '@lvs-drain-kit/common';
import {
  type DriverKind,
  type DriverSpec,
  driverKindList,
  type RealServerRef,
  specFromFlags,
} from '@lvs-drain-kit/drivers';
import { EnvironmentError, UsageError } from '../errors.js';
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

/**
 * The cluster, with every host name resolved once and addresses in their one spelling (`canonicalHost`):
 * the sampler, the director's table and the journal then all speak of the same address. A name that
 * does not resolve is an environment verdict (exit 3), as in drain-test.
 */
export async function clusterFrom(
  flags: ClusterFlags,
  driverFlags: Readonly<Record<string, unknown>>,
  config: ClusterConfig | undefined,
  minReals: number,
): Promise<Cluster> {
  const cluster = await clusterAsGiven(flags, driverFlags, config, minReals);
  return {
    ...cluster,
    vip: await resolved(cluster.vip),
    reals: await Promise.all(cluster.reals.map(resolved)),
  };
}

/** One resolver per process: a server named on the command line resolves to the same address as its --real. */
const RESOLVER = new AddressResolver();

async function clusterAsGiven(
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

/** `NAME` (of a `--real`) or `HOST:PORT` (resolved like the cluster's): the server and its name where known. */
export async function serverFrom(text: string, reals: readonly RealSpec[]): Promise<RealSpec> {
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
  const at = await resolved({ host: hp.host, port: hp.port });
  return reals.find((r) => sameHostPort(r, at)) ?? at;
}

/** An address given on the command line, resolved like the cluster's. */
export async function resolved(hp: RealServerRef): Promise<RealServerRef> {
  try {
    return await RESOLVER.resolve(hp);
  } catch (err) {
    throw err instanceof AddressError ? new EnvironmentError(err.message) : err;
  }
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
