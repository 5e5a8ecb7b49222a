/**
 * Connections per real server behind an nftables DNAT balancer, from the director's conntrack table
 * (read as nft-connections.ts reads it): the flows to the VIP, grouped by their server.
 */
import type { CommandTransport } from '@lvs-drain-kit/common';
import { formatHostPort } from '@lvs-drain-kit/common';
import type { ConnectionCount, DirectorConnection, ServiceRef } from '../types.js';
import { conntrackConnections } from './nft-connections.js';

/** ESTABLISHED flows are active; every other state conntrack still holds (TIME_WAIT, CLOSE_WAIT, …) inactive. */
export function countFlows(flows: readonly Pick<DirectorConnection, 'state' | 'server'>[]): ConnectionCount[] {
  const counts = new Map<string, ConnectionCount>();
  for (const f of flows) {
    const key = formatHostPort(f.server);
    const c = counts.get(key) ?? { ...f.server, active: 0, inactive: 0 };
    if (f.state === 'ESTABLISHED') c.active++;
    else c.inactive = (c.inactive ?? 0) + 1;
    counts.set(key, c);
  }
  return [...counts.values()];
}

/**
 * `conntrack -L -p tcp --orig-dst VIP --orig-port-dst PORT` on the director (in its namespace): a
 * server with no flow is not listed (it holds none).
 */
export async function conntrackConnectionCounts(
  transport: CommandTransport,
  service: ServiceRef,
  timeoutMs: number,
): Promise<ConnectionCount[]> {
  return countFlows(await conntrackConnections(transport, service, timeoutMs));
}
