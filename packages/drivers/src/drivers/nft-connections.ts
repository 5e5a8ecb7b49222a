/**
 * The connections of an nftables DNAT balancer, from the director's conntrack table: each flow's
 * original direction is the client's (client → VIP), its reply direction comes from the real server the
 * DNAT chose (server → client), so the reply source names the server.
 */
import type { CommandTransport } from '@lvs-drain-kit/common';
import { DriverError } from '../errors.js';
import type { DirectorConnection, ServiceRef } from '../types.js';

/** One flow of `conntrack -L -p tcp`. */
export interface ConntrackFlow {
  /** ESTABLISHED, SYN_SENT, TIME_WAIT … */
  state: string;
  original: { src: string; dst: string; sport: number; dport: number };
  reply: { src: string; dst: string; sport: number; dport: number };
}

/**
 * Parses `conntrack -L -p tcp` lines: `tcp 6 TIMEOUT STATE src= dst= sport= dport= [flags] src= dst=
 * sport= dport= …`; the first four keys are the original direction's, the next four the reply's.
 */
export function parseConntrackFlows(text: string): ConntrackFlow[] {
  const flows: ConntrackFlow[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0) continue;
    const words = line.split(/\s+/);
    const values = (key: string) => words.filter((w) => w.startsWith(`${key}=`)).map((w) => w.slice(key.length + 1));
    const [src, rsrc] = values('src');
    const [dst, rdst] = values('dst');
    const [sport, rsport] = values('sport').map(Number);
    const [dport, rdport] = values('dport').map(Number);
    const state = words[3];
    if (
      words[0] !== 'tcp' ||
      !state ||
      !/^[A-Z_0-9]+$/.test(state) ||
      !src ||
      !dst ||
      !rsrc ||
      !rdst ||
      [sport, dport, rsport, rdport].some((p) => p === undefined || !Number.isInteger(p))
    ) {
      throw new DriverError(`unexpected conntrack line: ${line}`, text);
    }
    flows.push({
      state,
      original: { src, dst, sport: sport!, dport: dport! },
      reply: { src: rsrc, dst: rdst, sport: rsport!, dport: rdport! },
    });
  }
  return flows;
}

/**
 * `conntrack -L -p tcp --orig-dst VIP --orig-port-dst PORT` on the director (in its namespace): every
 * flow to the service, the client from the original direction, the server from the reply's source.
 */
export async function conntrackConnections(
  transport: CommandTransport,
  service: ServiceRef,
  timeoutMs: number,
): Promise<DirectorConnection[]> {
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
  return connectionsOfFlows(parseConntrackFlows(r.stdout));
}

/** Each flow as a connection of the service: the client from the original direction, the server from the reply's source. */
export function connectionsOfFlows(flows: readonly ConntrackFlow[]): DirectorConnection[] {
  return flows.map((f) => ({
    client: { host: f.original.src, port: f.original.sport },
    server: { host: f.reply.src, port: f.reply.sport },
    state: f.state,
  }));
}
