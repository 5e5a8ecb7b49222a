/**
 * HAProxy's sessions, `show sess`: which server of a backend holds each client address:port. One line
 * per stream: `0x…: proto=tcpv4 src=ADDR:PORT fe=FRONTEND be=BACKEND srv=SERVER ts=… …`.
 */
import { DriverError } from '../errors.js';
import type { DirectorConnection } from '../types.js';
import type { HaproxyServerState } from './haproxy-api.js';

export interface HaproxySession {
  /** tcpv4, tcpv6, unix_stream (the runtime API's own) … */
  proto: string;
  /** The client's address and port; undefined for a unix socket. */
  client: { host: string; port: number } | undefined;
  frontend: string;
  backend: string;
  /** Undefined until a server is assigned (`srv=<none>`). */
  server: string | undefined;
}

/** Parses `show sess` (HAProxy 2.x); fields are found by name. */
export function parseShowSess(text: string): HaproxySession[] {
  const sessions: HaproxySession[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0) continue;
    if (!/^0x[0-9a-f]+:/.test(line)) throw new DriverError(`unexpected line in HAProxy "show sess": ${line}`, text);
    const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(line)?.[1];
    const proto = field('proto') ?? '';
    const src = field('src') ?? '';
    const srv = field('srv');
    sessions.push({
      proto,
      client: proto.startsWith('tcp') ? clientAddress(src, line) : undefined,
      frontend: field('fe') ?? '',
      backend: field('be') ?? '',
      server: srv === undefined || srv === '<none>' || srv === '' ? undefined : srv,
    });
  }
  return sessions;
}

/** `198.18.0.10:42752`, or an IPv6 address followed by `:PORT` (HAProxy prints no brackets). */
function clientAddress(text: string, line: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const port = Number(text.slice(i + 1));
  const host = text
    .slice(0, i)
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/^::ffff:(?=\d+\.)/, '');
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new DriverError(`unexpected src= in HAProxy "show sess": ${line}`);
  return { host, port };
}

/**
 * The sessions of `backend` that have a server, as director connections; server names become addresses
 * through `show servers state` (`servers`). A session whose server is not yet assigned is left out.
 */
export async function haproxyConnections(
  run: (command: string) => Promise<string>,
  backend: string,
  servers: readonly HaproxyServerState[],
): Promise<DirectorConnection[]> {
  const out: DirectorConnection[] = [];
  for (const s of parseShowSess(await run('show sess'))) {
    if (s.backend !== backend || !s.client || !s.server) continue;
    const server = servers.find((x) => x.name === s.server);
    if (!server)
      throw new DriverError(
        `HAProxy show sess names server ${backend}/${s.server}, which show servers state does not list`,
      );
    out.push({ client: s.client, server: { host: server.host, port: server.port } });
  }
  return out;
}
