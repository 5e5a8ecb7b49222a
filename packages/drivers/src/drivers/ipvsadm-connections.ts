/**
 * IPVS's connection table, `ipvsadm -L -n -c`: which real server holds each client address:port. The
 * builtin lab director prints the same text, so one parser serves both.
 */
import { formatHostPort, parseHostPort } from '@lvs-drain-kit/common';
import type { DirectorConnection, ServiceRef } from '../types.js';
import { IpvsadmParseError } from './ipvsadm-list.js';

/** One line of `ipvsadm -L -n -c`. */
export interface IpvsConnectionEntry {
  protocol: string;
  /** `MM:SS` until the entry expires. */
  expire: string;
  /** ESTABLISHED, SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE, NONE (a persistence template) … */
  state: string;
  client: { host: string; port: number };
  virtual: { host: string; port: number };
  server: { host: string; port: number };
}

const HEADER = 'IPVS connection entries';
const COLUMNS = /^pro\s+expire\s+state\s+source\s+virtual\s+destination/;

/**
 * Parses the numeric listing: a title, a column line, then `PRO MM:SS STATE SOURCE VIRTUAL DESTINATION`
 * (ipvsadm 1.31; `--persistent-conn` adds columns after these, which are ignored).
 */
export function parseIpvsadmConnections(text: string): IpvsConnectionEntry[] {
  const entries: IpvsConnectionEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0 || line === HEADER || COLUMNS.test(line)) continue;
    const [protocol, expire, state, client, virtual, server] = line.split(/\s+/);
    if (!protocol || !expire || !/^\d+:\d\d$/.test(expire) || !state || !client || !virtual || !server) {
      throw new IpvsadmParseError(`unexpected line in ipvsadm -L -n -c output: "${line}"`);
    }
    try {
      entries.push({
        protocol,
        expire,
        state,
        client: hostPort(client),
        virtual: hostPort(virtual),
        server: hostPort(server),
      });
    } catch (err) {
      throw new IpvsadmParseError(
        `unexpected address in ipvsadm -L -n -c output: "${line}" (${(err as Error).message})`,
      );
    }
  }
  return entries;
}

function hostPort(text: string): { host: string; port: number } {
  // A persistence template's client port is 0, which parseHostPort refuses as a port to use.
  const zero = /^(.*):0$/.exec(text);
  if (zero) return { host: parseHostPort(`${zero[1]}:1`).host, port: 0 };
  const hp = parseHostPort(text);
  return { host: hp.host, port: hp.port };
}

/** Formats entries as ipvsadm 1.31 prints `-L -n -c`. */
export function formatIpvsadmConnections(entries: readonly IpvsConnectionEntry[]): string {
  const out = [HEADER, 'pro expire state       source             virtual            destination'];
  for (const e of entries) {
    out.push(
      `${e.protocol.padEnd(3)} ${e.expire.padEnd(6)} ${e.state.padEnd(11)} ${formatHostPort(e.client).padEnd(18)} ${formatHostPort(e.virtual).padEnd(18)} ${formatHostPort(e.server)}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/**
 * The TCP connections of `service` in the director's table. Persistence templates (client port 0) are
 * not connections and are left out. `ipvsadm` runs the tool with these arguments on the director.
 */
export async function ipvsConnections(
  ipvsadm: (args: string[]) => Promise<string>,
  service: ServiceRef,
): Promise<DirectorConnection[]> {
  const entries = parseIpvsadmConnections(await ipvsadm(['-L', '-n', '-c']));
  return entries
    .filter(
      (e) =>
        e.protocol === 'TCP' &&
        e.client.port !== 0 &&
        e.virtual.host === service.vip.host &&
        e.virtual.port === service.vip.port,
    )
    .map((e) => ({ client: e.client, server: e.server, state: e.state }));
}
