/**
 * Drains an nftables load balancer built as `dnat to numgen inc mod N map @MAP` in a chain of its own:
 * a server's weight is the number of map slots it holds. Drain rewrites map and modulus without it in one
 * atomic `nft -f` transaction; established connections keep their server through conntrack. The map holds
 * addresses only (the destination port is kept), so every real server listens on the service port.
 */
import type { CommandTransport } from '@lvs-drain-kit/common';
import { formatHostPort, shellJoin, shellQuote } from '@lvs-drain-kit/common';
import type { z } from 'zod';
import { type DriverDefinition, specSchema } from '../definition.js';
import { DriverError } from '../errors.js';
import { createDirectorTransport, DIRECTOR_FLAG } from '../transports/factory.js';
import { netnsTransport } from '../transports/netns.js';
import type { DirectorState, DrainDriver, RealServerRef, ServiceRef } from '../types.js';
import { balancerUpdate, numgenSlots, slotsFromMapJson, weightsFromSlots } from './nft-map.js';

const schema = specSchema('nft', (z) => ({
  table: z.string().min(1),
  /** The chain that holds only the balancing rule. */
  chain: z.string().min(1),
  map: z.string().min(1),
  family: z.string().min(1).optional(),
  /** Run nft inside this network namespace on this host… */
  netns: z.string().min(1).optional(),
  /** …or on a director reached like ipvsadm's (`ssh://user@host`, `serial:PATH`); default: this host. */
  director: z.string().min(1).optional(),
}));
export type NftSpec = z.output<ReturnType<typeof schema>>;

export const nftDriver: DriverDefinition<NftSpec> = {
  kind: 'nft',
  description: 'nftables `dnat to numgen inc mod N map @MAP`: weight = slots held',
  schema,
  flags: {
    table: { flag: '--nft-table <name>', help: 'the table of the balancer' },
    chain: { flag: '--nft-chain <name>', help: 'the chain holding only `dnat to numgen inc mod N map @MAP`' },
    map: { flag: '--nft-map <name>', help: 'the slot → address map (a server weighs as many slots as it holds)' },
    family: { flag: '--nft-family <family>', help: 'the table family (default ip, the only one supported)' },
    netns: {
      flag: '--nft-netns <name>',
      help: 'run nft in this network namespace on this host (instead of --director)',
    },
    director: DIRECTOR_FLAG,
  },
  examples: [
    { kind: 'nft', table: 'lb', chain: 'balance', map: 'backends', director: 'ssh://root@lb1' },
    { kind: 'nft', table: 'ldk_lb', chain: 'lb', map: 'backends', family: 'ip', netns: 'ldk-1-lb' },
  ],
  create: nftDriverFromSpec,
};

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

/** The driver a spec describes: nft in `netns` on this host, or on `director`. */
export async function nftDriverFromSpec(spec: NftSpec): Promise<DrainDriver> {
  const { table, chain, map, netns, director } = spec;
  const transport = netns
    ? netnsTransport(await createDirectorTransport('local'), netns)
    : await createDirectorTransport(director);
  return createNftDriver({
    transport,
    family: spec.family ?? 'ip',
    table,
    chain,
    map,
    ...(netns ? { manualPrefix: ['ip', 'netns', 'exec', netns] } : {}),
  });
}
