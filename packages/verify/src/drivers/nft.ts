import type { CommandResult, CommandTransport, RunOptions } from '@lvs-drain-kit/common';
import { formatHostPort } from '@lvs-drain-kit/common';
import { balancerUpdate, numgenSlots, slotsFromMapJson, weightsFromSlots } from '@lvs-drain-kit/lab';
import { DriverError, UsageError } from '../errors.js';
import { shellJoin, shellQuote } from '../shell-quote.js';
import { createDirectorTransport } from '../transports/factory.js';
import { createLocalTransport } from '../transports/local.js';
import type { DirectorState, DrainDriver, DriverSpec, RealServerRef, ServiceRef } from './types.js';

/**
 * Drains an nftables load balancer built as `dnat to numgen inc mod N map @MAP` in a chain of its own:
 * a server's weight is the number of map slots it holds. Drain rewrites map and modulus without it in one
 * atomic `nft -f` transaction; established connections keep their server through conntrack. The map holds
 * addresses only (the destination port is kept), so every real server listens on the service port.
 */
export interface NftDriverOptions {
  transport: CommandTransport;
  family?: string;
  table: string;
  /** The chain that holds only the balancing rule (the driver rewrites it whole). */
  chain: string;
  map: string;
  /** How a person reaches the director's nft, e.g. `ip netns exec lb` (for manual commands). */
  manualPrefix?: string[];
  timeoutMs?: number;
}

/** A transport that runs every command inside a network namespace on this host. */
export function netnsTransport(inner: CommandTransport, netns: string): CommandTransport {
  return {
    description: `${inner.description} netns ${netns}`,
    run: (argv: readonly string[], options?: RunOptions): Promise<CommandResult> =>
      inner.run(['ip', 'netns', 'exec', netns, ...argv], options),
  };
}

export function createNftDriver(options: NftDriverOptions): DrainDriver {
  const { transport } = options;
  const family = options.family ?? 'ip';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const balancer = { table: options.table, chain: options.chain, map: options.map };
  if (family !== 'ip') throw new DriverError(`nft driver: only the ip family is supported, not ${family}`);
  /** Servers seen in the map, in order, so a drained one (no slot left) is still known and put back in place. */
  const known: string[] = [];
  let lastSlots: string[] | undefined;

  async function nft(argv: string[], input?: string): Promise<string> {
    const r = await transport.run(['nft', ...argv], { timeoutMs, ...(input !== undefined ? { input } : {}) });
    if (r.exitCode !== 0) {
      throw new DriverError(
        `nft ${argv.join(' ')} failed with exit code ${r.exitCode} (${transport.description}): ${(r.stderr || r.stdout).trim()}`,
        r.stderr,
      );
    }
    return r.stdout;
  }

  async function readSlots(): Promise<string[]> {
    const json = await nft(['-j', 'list', 'map', family, balancer.table, balancer.map]);
    let slots: string[];
    try {
      slots = slotsFromMapJson(json);
    } catch (err) {
      throw new DriverError(`nft map ${balancer.table}/${balancer.map}: ${(err as Error).message}`, json);
    }
    for (const host of slots) if (!known.includes(host)) known.push(host);
    lastSlots = slots;
    return slots;
  }

  function updateFor(slots: readonly string[], real: RealServerRef, weight: number): string {
    const weights = weightsFromSlots(slots);
    if (!known.includes(real.host)) known.push(real.host);
    weights.set(real.host, weight);
    return balancerUpdate(balancer, numgenSlots(known.map((host) => ({ host, weight: weights.get(host) ?? 0 }))));
  }

  function checkPort(service: ServiceRef, real: RealServerRef): void {
    if (real.port !== service.vip.port) {
      throw new DriverError(
        `nft driver: ${formatHostPort(real)} listens on another port than the service ${formatHostPort(service.vip)}; the numgen map keeps the destination port`,
      );
    }
  }

  return {
    name: 'nft',
    description: `nft ${family} ${balancer.table} map ${balancer.map} via ${transport.description}`,

    async inspect(service): Promise<DirectorState> {
      const slots = await readSlots();
      const weights = weightsFromSlots(slots);
      return {
        scheduler: `numgen inc mod ${slots.length}`,
        servers: known.map((host) => ({ host, port: service.vip.port, weight: weights.get(host) ?? 0 })),
        raw: slots.map((host, i) => `${i} : ${host}`).join('\n'),
      };
    },

    async getWeight(service, real) {
      checkPort(service, real);
      return weightsFromSlots(await readSlots()).get(real.host) ?? 0;
    },

    async setWeight(service, real, weight) {
      checkPort(service, real);
      await nft(['-f', '-'], updateFor(await readSlots(), real, weight));
    },

    manualCommand(_service, real, weight) {
      const script = updateFor(lastSlots ?? [], real, weight);
      const prefix = options.manualPrefix ?? [];
      return `printf '%s' ${shellQuote(script)} | ${shellJoin([...prefix, 'nft', '-f', '-'])}`;
    },
  };
}

/** From a plain spec (flags, config file, lab, journal): `{kind:'nft', table, chain, map, netns? | director?}`. */
export async function nftDriverFromSpec(spec: Extract<DriverSpec, { kind: 'nft' }>): Promise<DrainDriver> {
  const { table, chain, map, netns, director } = spec;
  if (!table || !chain || !map) throw new UsageError('--driver nft needs --nft-table, --nft-chain and --nft-map');
  const transport = netns ? netnsTransport(createLocalTransport(), netns) : await createDirectorTransport(director);
  return createNftDriver({
    transport,
    family: spec.family ?? 'ip',
    table,
    chain,
    map,
    ...(netns ? { manualPrefix: ['ip', 'netns', 'exec', netns] } : {}),
  });
}
