/**
 * The live traffic of a maintenance, from the first drain to the last return: new short connections
 * through the VIP at `rate` per second (connect, one request, close) and `longLived` connections that
 * send a request every `intervalMs` and, like a pooled client, close gracefully and reconnect after
 * `maxAgeMs` — so they leave a drained server by themselves. Every request that does not get its reply
 * is a failure, classed as drain-test classes them (timeout, reset, closed, wrong-host, garbled) and
 * timed. A new connection answered by a drained server is a wrong-host failure: the drain leaked.
 *
 * The sampler's own connections must never be what keeps a server from being empty: `ownActive` tells
 * the wait how many of the director's active connections are the sampler's, and `retire` closes them
 * once no other client holds one.
 */
import type { RealServerRef } from '@lvs-drain-kit/drivers';
import { ConnectFailure, type ProbeConnection } from '../probe/connection.js';
import { openRsLine } from '../probe/line.js';
import type { SamplerReport } from '../report/maintain-types.js';
import { FAILURE_CLASSES, type Failure, type FailureClass } from '../report/types.js';
import type { SamplerSettings } from './options.js';

export interface SamplerOptions extends SamplerSettings {
  vip: RealServerRef;
  /** Per request and per connect. */
  timeoutMs: number;
  /** The names of the real servers: a reply naming any other host is a wrong-host failure. */
  servers: readonly string[];
  /** performance.now() at the start of the run: failures are timed from it. */
  t0: number;
  onFailure?: (failure: Failure) => void;
}

/** A long-lived connection's place in the pool; it reconnects in the same slot. */
interface Slot {
  index: number;
  generation: number;
  conn: ProbeConnection | undefined;
  server: string | undefined;
  /** Only `open` connections are counted as the sampler's own on their server. */
  state: 'connecting' | 'open' | 'closing' | 'idle';
  wake: (() => void) | undefined;
}

const KEEP_FAILURES = 100;

export class Sampler {
  readonly #o: SamplerOptions;
  #running = false;
  #startedAt = 0;
  #stoppedAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #launched = 0;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #maxInFlight: number;
  readonly #slots: Slot[];
  #loops: Array<Promise<void>> = [];
  /** Server → performance.now() of its drain: a connection opened after it must not reach it. */
  readonly #drained = new Map<string, number>();
  readonly #retiring = new Set<string>();
  readonly #waiters = new Set<{ server: string; since: number; resolve: (at: number) => void }>();
  readonly #requests = { ok: 0, failed: 0, short: 0, long: 0 };
  readonly #connections = { short: 0, long: 0 };
  readonly #answeredBy = new Map<string, number>();
  readonly #byClass = Object.fromEntries(FAILURE_CLASSES.map((c) => [c, 0])) as Record<FailureClass, number>;
  readonly #failures: Failure[] = [];
  #notSent = 0;
  #retired = 0;

  constructor(options: SamplerOptions) {
    this.#o = options;
    // Enough for every short connection of two timeouts: more than that open means something hangs.
    this.#maxInFlight = Math.max(32, Math.ceil((options.rate * options.timeoutMs * 2) / 1000));
    this.#slots = Array.from({ length: options.longLived }, (_, index) => ({
      index,
      generation: 0,
      conn: undefined,
      server: undefined,
      state: 'idle' as const,
      wake: undefined,
    }));
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = performance.now();
    if (this.#o.rate > 0) {
      const tick = Math.min(50, Math.max(5, Math.floor(1000 / this.#o.rate)));
      this.#timer = setInterval(() => this.#launchDue(), tick);
    }
    this.#loops = this.#slots.map((slot) => this.#longLived(slot));
  }

  /** Resolves once every long-lived connection is open (or `maxMs` passed), and at least `minMs` after the start. */
  async warmUp(minMs: number, maxMs: number): Promise<void> {
    const deadline = this.#startedAt + maxMs;
    while (performance.now() < deadline) {
      const elapsed = performance.now() - this.#startedAt;
      if (elapsed >= minMs && this.#slots.every((s) => s.state === 'open')) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops new requests, closes the long-lived connections gracefully and waits for what is in flight. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#stoppedAt = performance.now();
    clearInterval(this.#timer);
    for (const s of this.#slots) s.wake?.();
    await Promise.all(this.#loops);
    await Promise.all([...this.#inFlight]);
    for (const w of this.#waiters) w.resolve(Number.NaN);
  }

  /** From now on a new connection answered by `server` is a leak (wrong-host). */
  markDrained(server: string, at = performance.now()): void {
    this.#drained.set(server, at);
  }

  /** `server` takes new connections again; the sampler's connections may stay on it. */
  markBack(server: string): void {
    this.#drained.delete(server);
    this.#retiring.delete(server);
  }

  /** The sampler's established long-lived connections on `server` (closing ones are not counted). */
  ownActive(server: string): number {
    return this.#slots.filter((s) => s.state === 'open' && s.server === server).length;
  }

  /** Closes the sampler's long-lived connections on `server` now, gracefully; they reconnect elsewhere. */
  retire(server: string): number {
    this.#retiring.add(server);
    const on = this.#slots.filter((s) => s.server === server && s.state === 'open');
    for (const s of on) s.wake?.();
    return on.length;
  }

  /**
   * Resolves with performance.now() of the first request answered by `server` on a connection opened
   * after `since`, or NaN when `timeoutMs` passes first (or the sampler stops).
   */
  waitForAnswerFrom(server: string, since: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      const waiter = {
        server,
        since,
        resolve: (at: number) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.#waiters.delete(waiter);
          resolve(at);
        },
      };
      const timer = setTimeout(() => waiter.resolve(Number.NaN), timeoutMs);
      const onAbort = () => {
        waiter.resolve(Number.NaN);
        reject(signal?.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Requests so far: for the span of one server's maintenance. */
  snapshot(): { sent: number; failed: number } {
    return { sent: this.#requests.ok + this.#requests.failed, failed: this.#requests.failed };
  }

  report(): SamplerReport {
    const o = this.#o;
    return {
      rate: o.rate,
      longLived: o.longLived,
      maxAgeMs: o.maxAgeMs,
      intervalMs: o.intervalMs,
      durationMs: this.#running || this.#stoppedAt === undefined ? 0 : Math.round(this.#stoppedAt - this.#startedAt),
      requests: { sent: this.#requests.ok + this.#requests.failed, ...this.#requests },
      connections: { ...this.#connections },
      notSent: this.#notSent,
      answeredBy: Object.fromEntries([...this.#answeredBy].sort(([a], [b]) => a.localeCompare(b))),
      failures: { byClass: { ...this.#byClass }, first: [...this.#failures] },
      retired: this.#retired,
    };
  }

  #launchDue(): void {
    const due = Math.floor(((performance.now() - this.#startedAt) * this.#o.rate) / 1000);
    // A late timer (a busy loop) catches up, but never in one burst larger than a second's worth.
    let n = Math.min(due - this.#launched, Math.max(1, this.#o.rate));
    for (; n > 0; n--) {
      this.#launched++;
      if (this.#inFlight.size >= this.#maxInFlight) {
        this.#notSent++;
        continue;
      }
      const p = this.#short(this.#launched).finally(() => this.#inFlight.delete(p));
      this.#inFlight.add(p);
    }
  }

  async #short(n: number): Promise<void> {
    const id = `short#${n}`;
    const openedAt = performance.now();
    const conn = await this.#open(id);
    if (!conn) return;
    this.#connections.short++;
    const ex = await conn.ask('hello', undefined, this.#o.timeoutMs);
    if (!ex.ok) {
      conn.destroy();
      this.#fail(id, ex.class, ex.host ?? '', ex.detail);
      return;
    }
    const wrong = this.#misplaced(ex.host, openedAt);
    if (wrong) this.#fail(id, 'wrong-host', ex.host, wrong);
    else this.#ok(ex.host, 'short', openedAt);
    await conn.shutdown(this.#o.timeoutMs).catch(() => conn.destroy());
  }

  async #longLived(slot: Slot): Promise<void> {
    const o = this.#o;
    // The first lifetimes are staggered, so the pool does not reconnect all at once.
    let lifetime = (o.maxAgeMs * (slot.index + 1)) / Math.max(1, o.longLived);
    while (this.#running) {
      slot.generation++;
      const id = `long#${slot.index + 1}.${slot.generation}`;
      const openedAt = performance.now();
      slot.state = 'connecting';
      const conn = await this.#open(id);
      if (!conn) {
        slot.state = 'idle';
        await this.#sleep(slot, o.intervalMs);
        continue;
      }
      this.#connections.long++;
      slot.conn = conn;
      let ex = await conn.ask('hello', undefined, o.timeoutMs);
      if (!ex.ok) {
        this.#fail(id, ex.class, ex.host ?? '', ex.detail);
        await this.#close(slot);
        await this.#sleep(slot, o.intervalMs);
        continue;
      }
      const wrong = this.#misplaced(ex.host, openedAt);
      if (wrong) {
        this.#fail(id, 'wrong-host', ex.host, wrong);
        await this.#close(slot);
        continue;
      }
      this.#ok(ex.host, 'long', openedAt);
      const server = ex.host;
      slot.server = server;
      slot.state = 'open';
      for (;;) {
        await this.#sleep(slot, o.intervalMs);
        if (!this.#running || performance.now() - openedAt >= lifetime) break;
        if (this.#retiring.has(server)) {
          this.#retired++;
          break;
        }
        ex = await conn.ask('hello', server, o.timeoutMs);
        if (!ex.ok) {
          this.#fail(id, ex.class, server, ex.detail);
          break;
        }
        this.#ok(server, 'long', openedAt);
      }
      await this.#close(slot);
      lifetime = o.maxAgeMs;
    }
    slot.state = 'idle';
  }

  async #open(id: string): Promise<ProbeConnection | undefined> {
    try {
      return await openRsLine({
        host: this.#o.vip.host,
        port: this.#o.vip.port,
        timeoutMs: this.#o.timeoutMs,
      });
    } catch (err) {
      if (!(err instanceof ConnectFailure)) throw err;
      this.#fail(id, err.failureClass, '', `connect: ${err.message}`);
      return undefined;
    }
  }

  /** Graceful close (`shutdown`, the server closes first); a connection that already failed is just dropped. */
  async #close(slot: Slot): Promise<void> {
    const conn = slot.conn;
    slot.state = 'closing';
    if (conn) await conn.shutdown(this.#o.timeoutMs).catch(() => conn.destroy());
    slot.conn = undefined;
    slot.server = undefined;
    slot.state = 'idle';
  }

  /** Sleeps `ms`, or less when woken (retire, stop). */
  #sleep(slot: Slot, ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        slot.wake = undefined;
        resolve();
      }
      slot.wake = done;
    });
  }

  /** Why an answer from `host` on a connection opened at `openedAt` is wrong, if it is. */
  #misplaced(host: string, openedAt: number): string | undefined {
    if (!this.#o.servers.includes(host)) return `answered by "${host}", none of the real servers`;
    const drainedAt = this.#drained.get(host);
    if (drainedAt !== undefined && openedAt >= drainedAt) return `a new connection reached the drained server ${host}`;
    return undefined;
  }

  #ok(host: string, kind: 'short' | 'long', openedAt: number): void {
    this.#requests.ok++;
    this.#requests[kind]++;
    this.#answeredBy.set(host, (this.#answeredBy.get(host) ?? 0) + 1);
    for (const w of this.#waiters) if (w.server === host && openedAt >= w.since) w.resolve(performance.now());
  }

  #fail(connection: string, cls: FailureClass, server: string, detail: string): void {
    this.#requests.failed++;
    if (connection.startsWith('short')) this.#requests.short++;
    else this.#requests.long++;
    this.#byClass[cls]++;
    const failure: Failure = {
      class: cls,
      connection,
      server,
      atMs: Math.round(performance.now() - this.#o.t0),
      detail,
    };
    if (this.#failures.length < KEEP_FAILURES) this.#failures.push(failure);
    this.#o.onFailure?.(failure);
  }
}
