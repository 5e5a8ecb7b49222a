/**
 * Every local address:port this run used for a connection through the VIP, and where each went. IPVS
 * keeps a closed connection's entry for a while (FIN_WAIT, up to 2 min in DR mode) and, with
 * conn_reuse_mode=1 (the default) or 0, sends a new connection from the same client address:port to the
 * entry's server, whatever its weight. Such a connection says nothing about scheduling: where it goes
 * was decided by the earlier one. So a new connection counts as a sample (a leak, a return) only from a
 * pair this run never used; the kernel usually hands out a fresh port, and where it does not (a narrow
 * ip_local_port_range wraps within one run), the probe binds one this module picks: from the ephemeral
 * range while it has unused ports, then from the rest of the unprivileged ports.
 */
import { readFileSync } from 'node:fs';

/** One earlier use of a source pair: the connection and the server that answered it ('' when none did). */
export interface PortUse {
  connection: string;
  server: string;
}

/** The lowest port an unprivileged process may bind (net.ipv4.ip_unprivileged_port_start). */
const UNPRIVILEGED = 1024;

const key = (address: string | undefined, port: number) => `${address ?? ''}|${port}`;

/** The kernel's ephemeral range (net.ipv4.ip_local_port_range), where the picked ports come from. */
export function ephemeralRange(path = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] {
  try {
    const [lo, hi] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && hi !== undefined && lo > 0 && hi >= lo && hi < 65536) return [lo, hi];
  } catch {
    // not Linux: the IANA range
  }
  return [49152, 65535];
}

export class SourcePorts {
  readonly #uses = new Map<string, PortUse[]>();
  /** Ports used with any local address, and ports a bind was refused on: never picked. */
  readonly #taken = new Set<number>();
  readonly #range: [number, number];

  constructor(range: [number, number] = ephemeralRange()) {
    this.#range = range;
  }

  /** Earlier uses of this pair in the run (empty: a fresh pair). */
  usesOf(address: string | undefined, port: number): readonly PortUse[] {
    return this.#uses.get(key(address, port)) ?? [];
  }

  record(address: string | undefined, port: number, use: PortUse): void {
    const k = key(address, port);
    const list = this.#uses.get(k);
    if (list) list.push(use);
    else this.#uses.set(k, [use]);
    this.#taken.add(port);
  }

  /** A port the system refused to bind (in use elsewhere): not offered again. */
  refuse(port: number): void {
    this.#taken.add(port);
  }

  /**
   * A port this run has not used: from the ephemeral range, else from the other unprivileged ports;
   * undefined when every one has been.
   */
  pick(random: () => number = Math.random): number | undefined {
    const [lo, hi] = this.#range;
    const outside = (p: number) => p < lo || p > hi;
    return this.#pickIn(lo, hi, () => true, random) ?? this.#pickIn(UNPRIVILEGED, 65535, outside, random);
  }

  #pickIn(lo: number, hi: number, allowed: (port: number) => boolean, random: () => number): number | undefined {
    const size = hi - lo + 1;
    const free = (p: number) => allowed(p) && !this.#taken.has(p);
    for (let i = 0; i < 64; i++) {
      const port = lo + Math.floor(random() * size);
      if (free(port)) return port;
    }
    // A nearly used-up range: walk it from a random start.
    const start = Math.floor(random() * size);
    for (let i = 0; i < size; i++) {
      const port = lo + ((start + i) % size);
      if (free(port)) return port;
    }
    return undefined;
  }
}
