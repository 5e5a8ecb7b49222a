/**
 * The wait until a drained server is empty, read from the director's own connection counts (ipvsadm
 * ActiveConn/InActConn, HAProxy scur, conntrack flows). The sampler's established connections on the
 * server are not clients that keep it busy: they are subtracted, and once no other client holds an
 * active connection the sampler closes its own (`retire`), so the server empties without waiting for
 * their --max-age. Closing ones are never subtracted: the count errs towards waiting, never towards
 * cutting a client off.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  type ConnectionCount,
  type DrainDriver,
  isListedAs,
  type RealServerRef,
  type ServiceRef,
} from '@lvs-drain-kit/drivers';
import type { ConnectionSample, WaitEmptyReport } from '../report/maintain-types.js';
import type { WaitEmptyMode } from './options.js';

const RECHECK_MS = 100;

/** What keeps the server busy: other clients' active connections and, with `all`, every inactive one. */
export function connectionSample(
  count: ConnectionCount | undefined,
  own: number,
  mode: WaitEmptyMode,
  atMs: number,
): ConnectionSample {
  const active = count?.active ?? 0;
  const inactive = count?.inactive ?? 0;
  const foreignActive = Math.max(0, active - own);
  return { atMs, active, inactive, own, remaining: foreignActive + (mode === 'all' ? inactive : 0) };
}

export interface WaitEmptyArgs {
  driver: DrainDriver;
  service: ServiceRef;
  real: RealServerRef;
  mode: WaitEmptyMode;
  timeoutMs: number;
  pollMs: number;
  /** The sampler's established connections on the server (0 without a sampler). */
  own: () => number;
  /** Closes the sampler's connections on the server; returns how many. */
  retire: () => number;
  /** Milliseconds since the run started, for the samples. */
  now: () => number;
  onSample?: (sample: ConnectionSample, elapsedMs: number) => void;
  signal?: AbortSignal;
}

/** Polls until the server is empty or `timeoutMs` passed; `emptyAfterMs` is set when it emptied. */
export async function waitUntilEmpty(a: WaitEmptyArgs): Promise<WaitEmptyReport & { emptyAfterMs?: number }> {
  const started = performance.now();
  const report: WaitEmptyReport & { emptyAfterMs?: number } = {
    mode: a.mode,
    timedOut: false,
    polls: 0,
    samplerRetired: 0,
  };
  const connectionCounts = a.driver.connectionCounts;
  if (!connectionCounts) throw new Error(`${a.driver.description} cannot read connection counts`);
  for (;;) {
    a.signal?.throwIfAborted();
    const counts = await connectionCounts.call(a.driver, a.service);
    const own = a.own();
    const count = counts.find((c) => isListedAs(c, a.real));
    const sample = connectionSample(count, own, a.mode, a.now());
    const elapsed = performance.now() - started;
    report.polls++;
    report.first ??= sample;
    report.last = sample;
    a.onSample?.(sample, elapsed);
    if (sample.remaining === 0 && own === 0) {
      report.emptyAfterMs = Math.round(elapsed);
      return report;
    }
    let pause = a.pollMs;
    if (own > 0 && sample.active - own <= 0) {
      report.samplerRetired += a.retire();
      // The sampler's connections close within a round trip: look again soon, not a whole poll later.
      pause = Math.min(pause, RECHECK_MS);
    }
    if (elapsed >= a.timeoutMs) {
      report.timedOut = true;
      return report;
    }
    await delay(Math.min(pause, Math.max(0, a.timeoutMs - elapsed)), undefined, { signal: a.signal }).catch(() => {
      a.signal?.throwIfAborted();
    });
  }
}
