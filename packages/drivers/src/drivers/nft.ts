/**
 * Drains an nftables load balancer built as `dnat to <hash> mod N map @MAP` (numgen inc, numgen random,
 * jhash, symhash) in a chain that holds only that rule: a server's weight is the number of map slots it
 * holds. The chain and map are listed before every change, and anything else is refused before anything
 * is changed. A change rewrites only the map elements that change and, when the slot count does, the
 * rule's modulus (the rule replaced by handle, its expression kept): one atomic `nft -j JSON`
 * transaction. Established connections keep their server through conntrack. The map holds addresses
 * only (the destination port is kept), so every real server listens on the service port.
 */
import type { CommandTransport } from '@lvs-drain-kit/common';
import { formatHostPort, shellJoin } from '@lvs-drain-kit/common';
import { type DriverSpec, defineDriver } from '../definition.js';
import { DriverError } from '../errors.js';
import { createDirectorTransport, DIRECTOR_FLAG } from '../transports/factory.js';
import { netnsTransport } from '../transports/netns.js';
import type { DirectorState, DrainDriver, RealServerRef, ServiceRef } from '../types.js';
import { conntrackConnections } from './nft-connections.js';
import { conntrackConnectionCounts } from './nft-conntrack.js';
import {
  type BalancerState,
  balancerEdit,
  balancerRewrite,
  planSlots,
  readBalancer,
  weightsFromSlots,
} from './nft-map.js';

export const nftDriver = defineDriver(
  'nft',
  (z) => ({
    table: z.string().min(1),
    /** The chain that holds only the balancing rule. */
    chain: z.string().min(1),
    map: z.string().min(1),
    family: z.string().min(1).optional(),
    /** Run nft inside this network namespace on this host… */
    netns: z.string().min(1).optional(),
    /** …or on a director reached like ipvsadm's (`ssh://user@host`, `serial:PATH`); default: this host. */
    director: z.string().min(1).optional(),
  }),
  {
    description: 'nftables `dnat to <numgen|jhash|symhash> mod N map @MAP`: weight = slots held',
    flags: {
      table: { flag: '--nft-table <name>', help: 'the table of the balancer' },
      chain: {
        flag: '--nft-chain <name>',
        help: 'the chain holding only `dnat to numgen inc|numgen random|jhash …|symhash mod N map @MAP`',
      },
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
    create: (spec): Promise<DrainDriver> => nftDriverFromSpec(spec),
  },
);
export type NftSpec = DriverSpec<typeof nftDriver>;

export interface NftDriverOptions {
  transport: CommandTransport;
  family?: string;
  table: string;
  /** The chain that holds only the balancing rule. */
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
  /** Servers seen in the map, in order, so a drained one (no slot left) is still known. */
  const known: string[] = [];
  /** The slots before this driver first changed each server: a restore puts them back exactly. */
  const before = new Map<string, string[]>();
  let last: BalancerState | undefined;

  async function nft(argv: string[]): Promise<string> {
    const r = await transport.run(['nft', ...argv], { timeoutMs });
    if (r.exitCode !== 0) {
      throw new DriverError(
        `nft ${argv.join(' ')} failed with exit code ${r.exitCode} (${transport.description}): ${(r.stderr || r.stdout).trim()}`,
        r.stderr,
      );
    }
    return r.stdout;
  }

  async function read(): Promise<BalancerState> {
    const chain = await nft(['-j', 'list', 'chain', family, balancer.table, balancer.chain]);
    const map = await nft(['-j', 'list', 'map', family, balancer.table, balancer.map]);
    let state: BalancerState;
    try {
      state = readBalancer(balancer, chain, map);
    } catch (err) {
      if (err instanceof SyntaxError) throw new DriverError(`nft printed no JSON: ${err.message}`, chain + map);
      throw err;
    }
    for (const host of state.slots) if (!known.includes(host)) known.push(host);
    last = state;
    return state;
  }

  function edit(state: BalancerState, real: RealServerRef, weight: number): string {
    if (!known.includes(real.host)) known.push(real.host);
    return balancerEdit(balancer, state, planSlots(state.slots, real.host, weight, before.get(real.host)));
  }

  /**
   * The slots once `real` has `weight`, as this driver would leave them: a person runs the command later
   * (after the drain, or from the journal), so it is planned from the map without the server.
   */
  function finalSlots(state: BalancerState, real: RealServerRef, weight: number): string[] {
    const original = before.get(real.host) ?? (state.slots.includes(real.host) ? state.slots : undefined);
    return planSlots(planSlots(state.slots, real.host, 0), real.host, weight, original);
  }

  function checkPort(service: ServiceRef, real: RealServerRef): void {
    if (real.port !== service.vip.port) {
      throw new DriverError(
        `nft driver: ${formatHostPort(real)} listens on another port than the service ${formatHostPort(service.vip)}; the map keeps the destination port`,
      );
    }
  }

  return {
    name: 'nft',
    description: `nft ${family} ${balancer.table} map ${balancer.map} via ${transport.description}`,

    async inspect(service): Promise<DirectorState> {
      const state = await read();
      const weights = weightsFromSlots(state.slots);
      return {
        scheduler: `${state.hash} mod ${state.modulus}`,
        servers: known.map((host) => ({ host, port: service.vip.port, weight: weights.get(host) ?? 0 })),
        raw: state.slots.map((host, i) => `${state.offset + i} : ${host}`).join('\n'),
      };
    },

    async getWeight(service, real) {
      checkPort(service, real);
      return weightsFromSlots((await read()).slots).get(real.host) ?? 0;
    },

    async setWeight(service, real, weight) {
      checkPort(service, real);
      const state = await read();
      if (!before.has(real.host) && state.slots.includes(real.host)) before.set(real.host, [...state.slots]);
      // JSON on the command line: `nft -j -f -` opens /dev/stdin, which fails when stdin is a socket.
      await nft(['-j', edit(state, real, weight)]);
    },

    describeChange(_service, real, weight) {
      const slots = last ? finalSlots(last, real, weight) : [];
      return `nft map ${balancer.map}: ${real.host} holds ${weight} of ${slots.length} slots, ${last?.hash ?? '?'} mod ${slots.length}`;
    },

    manualCommand(_service, real, weight) {
      const prefix = options.manualPrefix ?? [];
      if (!last) {
        return `# first list the balancer: ${shellJoin([...prefix, 'nft', 'list', 'chain', family, balancer.table, balancer.chain])}; then give ${real.host} ${weight} slots in map ${balancer.map} and the rule's mod`;
      }
      return shellJoin([...prefix, 'nft', '-j', balancerRewrite(balancer, last, finalSlots(last, real, weight))]);
    },

    connectionTable: 'conntrack -L (the reply source of each flow to the VIP)',
    listConnections: (service) => conntrackConnections(transport, service, timeoutMs),
    connectionCounts: (service) => conntrackConnectionCounts(transport, service, timeoutMs),
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
