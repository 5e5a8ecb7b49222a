/**
 * The director's connection table as the run reads it: which real server holds a connection, by the
 * connection's client address and port. A connection is looked up in a listing that started after it
 * was connected (so it is there: IPVS and conntrack make the entry on the SYN, HAProxy when it accepts);
 * lookups waiting at the same time share one listing, so concurrent connections cost one read.
 */
import { canonicalHost } from '@lvs-drain-kit/common';
import type { DirectorConnection, RealServerRef } from '@lvs-drain-kit/drivers';

type Listing = Map<string, DirectorConnection>;

const key = (host: string, port: number) => `${canonicalHost(host.replace(/^::ffff:(?=\d+\.)/i, ''))}|${port}`;

export class DirectorTable {
  #current: { startedAt: number; promise: Promise<Listing> } | undefined;
  #next: Promise<Listing> | undefined;
  /** Listings read so far, and how long they took in all (for the report). */
  reads = 0;
  readMs = 0;

  constructor(private readonly list: () => Promise<DirectorConnection[]>) {}

  /** A listing that started at or after `since` (performance.now()). */
  read(since: number): Promise<Listing> {
    const cur = this.#current;
    if (cur && cur.startedAt >= since) return cur.promise;
    // One next listing, started when the one under way ends, for every lookup waiting meanwhile.
    this.#next ??= (cur ? cur.promise.then(noop, noop) : Promise.resolve()).then(() => {
      const startedAt = performance.now();
      const promise = this.#fetch(startedAt);
      this.#current = { startedAt, promise };
      this.#next = undefined;
      return promise;
    });
    return this.#next;
  }

  async #fetch(startedAt: number): Promise<Listing> {
    const rows = await this.list();
    this.reads++;
    this.readMs += performance.now() - startedAt;
    return new Map(rows.map((c) => [key(c.client.host, c.client.port), c]));
  }

  /**
   * The server holding the connection from `client`, from a listing started at or after `since`; while
   * the director does not list it yet (HAProxy assigns the server a moment after it accepts), listings
   * are read again until `deadline`. Undefined when it never shows.
   */
  async serverOf(
    client: { host: string; port: number },
    since: number,
    deadline: number,
  ): Promise<RealServerRef | undefined> {
    let from = since;
    for (;;) {
      const found = (await this.read(from)).get(key(client.host, client.port));
      if (found) return found.server;
      if (performance.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, 10));
      from = performance.now();
    }
  }
}

function noop(): void {}
