/**
 * Connections per real server behind an nftables DNAT balancer, from the director's conntrack table:
 * the flows whose original destination is the VIP, grouped by their reply source (the server).
 */
import type { CommandTransport } from '@lvs-drain-kit/common';
import { formatHostPort } from '@lvs-drain-kit/common';
import { DriverError } from '../errors.js';
import type { ConnectionCount, ServiceRef } from '../types.js';

export interface ConntrackFlow {
  /** TCP state as conntrack names it: ESTABLISHED, TIME_WAIT, … */
  state: string;
  /** The reply direction's source: the real server the flow was sent to. */
  server: { host: string; port: number };
}

/**
 * Parses `conntrack -L -p tcp` lines: `tcp 6 TIMEOUT STATE src= dst= sport= dport= [flags] src= dst=
 * sport= dport= …`; the first `src=`/`sport=` are the original direction's, the second the reply's.
 */
export function parseConntrackList(text: string): ConntrackFlow[] {
  const flows: ConntrackFlow[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const tcp = words.indexOf('tcp');
    if (tcp < 0) continue;
    const field = (key: string) => words.filter((w) => w.startsWith(`${key}=`)).map((w) => w.slice(key.length + 1));
    const [, replyHost] = field('src');
    const [, replyPort] = field('sport');
    const state = words[tcp + 3];
    if (!replyHost || !replyPort || !state || !/^[A-Z_0-9]+$/.test(state)) {
      throw new DriverError(`unexpected conntrack line: ${line.trim()}`, text);
    }
    flows.push({ state, server: { host: replyHost, port: Number(replyPort) } });
  }
  return flows;
}

/** ESTABLISHED flows are active; every other state conntrack still holds (TIME_WAIT, CLOSE_WAIT, …) inactive. */
export function countFlows(flows: readonly ConntrackFlow[]): ConnectionCount[] {
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
  const args = ['-L', '-p', 'tcp', '--orig-dst', service.vip.host, '--orig-port-dst', String(service.vip.port)];
  const r = await transport.run(['conntrack', ...args], { timeoutMs });
  if (r.exitCode === 127)
    throw new DriverError(`conntrack not found on the director (${transport.description}): apt-get install conntrack`);
  if (r.exitCode !== 0) {
    throw new DriverError(
      `conntrack ${args.join(' ')} failed with exit code ${r.exitCode} (${transport.description}): ${r.stderr.trim()}`,
      r.stderr,
    );
  }
  return countFlows(parseConntrackList(r.stdout));
}
