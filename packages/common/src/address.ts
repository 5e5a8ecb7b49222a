import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** A parsed `HOST:PORT`; `host` carries no brackets, `family` is 0 for a host name. */
export interface HostPort {
  host: string;
  port: number;
  family: 0 | 4 | 6;
}

export class AddressError extends Error {
  override name = 'AddressError';
}

/**
 * Parses a port: an integer 1..65535 (0 allowed with `allowZero`, "pick one"). Text and numbers out of
 * range get the same message, so every CLI words a bad port one way.
 */
export function parsePort(text: string, options: { allowZero?: boolean } = {}): number {
  const min = options.allowZero ? 0 : 1;
  const t = text.trim();
  const port = /^\d{1,5}$/.test(t) ? Number(t) : Number.NaN;
  if (!(port >= min && port <= 65535)) throw new AddressError(`invalid port "${text}": expected a number ${min}-65535`);
  return port;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`, or `HOST` alone when `defaultPort` is given.
 * A bare IPv6 address is accepted only without a port (`::1` with `defaultPort`). Port 0 only with
 * `allowZero` (what a director lists for a real server that takes the packet's port).
 */
export function parseHostPort(text: string, defaultPort?: number, options: { allowZero?: boolean } = {}): HostPort {
  const t = text.trim();
  if (t.length === 0) throw new AddressError('empty address: expected HOST:PORT');
  let host: string;
  let portText: string | undefined;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0) throw new AddressError(`invalid address "${text}": missing "]"`);
    host = t.slice(1, close);
    const rest = t.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(':')) throw new AddressError(`invalid address "${text}": expected ":PORT" after "]"`);
      portText = rest.slice(1);
    }
    if (isIP(host) !== 6) throw new AddressError(`invalid address "${text}": "${host}" is not an IPv6 address`);
  } else {
    const colons = t.split(':').length - 1;
    if (colons === 0) host = t;
    else if (colons === 1) {
      const i = t.indexOf(':');
      host = t.slice(0, i);
      portText = t.slice(i + 1);
    } else if (isIP(t) === 6) host = t;
    else throw new AddressError(`invalid address "${text}": write IPv6 addresses as [ADDR]:PORT`);
  }
  if (host.length === 0) throw new AddressError(`invalid address "${text}": missing host`);
  const family = isIP(host);
  if (family === 0 && !/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    throw new AddressError(`invalid address "${text}": "${host}" is neither an IP address nor a host name`);
  }
  let port: number;
  if (portText === undefined) {
    if (defaultPort === undefined) throw new AddressError(`invalid address "${text}": missing ":PORT"`);
    port = defaultPort;
  } else port = parsePort(portText, options);
  return { host, port, family: family as 0 | 4 | 6 };
}

/**
 * The one spelling of an IP address, so that what a person wrote and what a director prints compare as
 * text: IPv6 compressed and in lower case (`2001:DB8:0::1` → `2001:db8::1`, as inet_ntop and so ipvsadm
 * and HAProxy print it); IPv4 addresses and host names as they are.
 */
export function canonicalHost(host: string): string {
  if (isIP(host) !== 6) return host;
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    // A zone (fe80::1%eth0) is no URL host: compare it as written, in lower case.
    return host.toLowerCase();
  }
}

/** Same address and port, however each was spelled. */
export function sameHostPort(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  return a.port === b.port && canonicalHost(a.host) === canonicalHost(b.host);
}

/**
 * Resolves host names to one address each, once: every later question about a name gets the first
 * answer, so the probes, the director's table and the journal all speak of the same address. Addresses
 * come back canonical (see `canonicalHost`).
 */
export class AddressResolver {
  readonly #cache = new Map<string, Promise<string>>();

  constructor(readonly lookupHost: (host: string) => Promise<string> = async (h) => (await lookup(h)).address) {}

  async host(host: string): Promise<string> {
    if (isIP(host) !== 0) return canonicalHost(host);
    let answer = this.#cache.get(host);
    if (!answer) {
      answer = this.lookupHost(host).then(canonicalHost, (err: NodeJS.ErrnoException) => {
        throw new AddressError(`cannot resolve "${host}": ${err.code ?? err.message}`);
      });
      this.#cache.set(host, answer);
    }
    return answer;
  }

  /** `hp` with its host resolved; its other fields are kept (a `family` is brought up to date). */
  async resolve<T extends { host: string }>(hp: T): Promise<T> {
    const host = await this.host(hp.host);
    return 'family' in hp ? { ...hp, host, family: isIP(host) } : { ...hp, host };
  }
}

/** Formats an address for people and for ipvsadm: IPv6 in brackets. */
export function formatHostPort(hp: { host: string; port: number }): string {
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/**
 * Formats one end of a socket (`socket.remoteAddress`, `remotePort` or the local pair): IPv6 in brackets,
 * and an IPv4 client of a dual-stack socket (`::ffff:a.b.c.d`) as the IPv4 address people know it by.
 * Called once per accepted connection, so it looks for a colon rather than asking `isIP`.
 */
export function formatSocketAddress(address: string | undefined, port: number | undefined): string {
  const a = (address ?? '?').replace(/^::ffff:(?=\d+\.)/, '');
  return a.includes(':') ? `[${a}]:${port ?? '?'}` : `${a}:${port ?? '?'}`;
}

/** The peer of a connection, as `formatSocketAddress` writes it. */
export function formatPeer(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return formatSocketAddress(socket.remoteAddress, socket.remotePort);
}

/** An IPv4 range in CIDR notation: its first address and prefix length. */
export interface Ipv4Range {
  network: string;
  prefixLength: number;
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * Parses `A.B.C.D/LEN` (IPv4 only: a range of client addresses to bind; IPv6 addresses are given one by
 * one). Host bits must be zero, so a typo such as 198.18.0.100/27 is not read as a range it does not name.
 */
export function parseIpv4Range(text: string): Ipv4Range {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim());
  if (!m || isIP(m[1]!) !== 4 || Number(m[2]) > 32) {
    throw new AddressError(`invalid range "${text}": expected an IPv4 CIDR such as 198.18.0.160/27`);
  }
  const prefixLength = Number(m[2]);
  const size = 2 ** (32 - prefixLength);
  const start = ipv4ToInt(m[1]!);
  if (start % size !== 0) {
    throw new AddressError(
      `invalid range "${text}": host bits set (the /${prefixLength} that holds it starts at ${intToIpv4(start - (start % size))})`,
    );
  }
  return { network: m[1]!, prefixLength };
}

/**
 * The host addresses of a range, in order, at most `max`: every address but the network and broadcast
 * addresses (all of a /31 or /32).
 */
export function ipv4RangeHosts(range: Ipv4Range, max = 65_536): string[] {
  const size = 2 ** (32 - range.prefixLength);
  const start = ipv4ToInt(range.network);
  const [first, last] = size <= 2 ? [start, start + size - 1] : [start + 1, start + size - 2];
  const hosts: string[] = [];
  for (let n = first; n <= last && hosts.length < max; n++) hosts.push(intToIpv4(n));
  return hosts;
}

export function formatIpv4Range(range: Ipv4Range): string {
  return `${range.network}/${range.prefixLength}`;
}
