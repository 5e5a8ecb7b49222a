/**
 * The `old-connections-no-stall` check: through the drain command and the hold, no old connection
 * answers far later than it did before the drain. A director that blackholes a server's connections for
 * half a second while it reconfigures loses no connection — TCP retransmits — so old-connections-survive
 * passes; the clients still felt the pause. Measured against each connection's own pre-drain round
 * trips, so a slow link is not a stall and a fast one's 300 ms pause is. A warning; a failure under --strict.
 */
import { stalledWithin } from '../measure/overload.js';
import { signed } from '../report/time.js';
import type { Failure } from '../report/types.js';
import type { OldConnection, RunContext } from './context.js';

/** A round trip is a stall above this many times the connection's pre-drain p99 … */
export const STALL_FACTOR = 10;
/** … and above this, so that sub-millisecond LAN baselines do not turn jitter into stalls. */
export const STALL_FLOOR_MS = 200;

/** A slow round trip on an old connection after the drain command went out (performance.now() times). */
export interface SlowExchange {
  conn: OldConnection;
  sentAt: number;
  rttMs: number;
  /** The connection's threshold when it was judged. */
  thresholdMs: number;
  baselineP99Ms: number;
}

/** Nearest-rank p99: with the handful of pre-drain round trips a connection has, their maximum. */
export function p99(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)]!;
}

/** The round trip above which `c` stalled: its pre-drain p99 (its `hello` when the hold had none) × 10, at least 200 ms. */
export function stallThreshold(c: Pick<OldConnection, 'baselineRtts' | 'helloRttMs'>): {
  thresholdMs: number;
  baselineP99Ms: number;
} {
  const baselineP99Ms = p99(c.baselineRtts.length > 0 ? c.baselineRtts : [c.helloRttMs]);
  return { baselineP99Ms, thresholdMs: Math.max(STALL_FACTOR * baselineP99Ms, STALL_FLOOR_MS) };
}

const r1 = (ms: number) => (ms >= 10 ? String(Math.round(ms)) : ms.toFixed(1));

/**
 * Judges the slow round trips seen after the drain command: those the verifier's own event loop did
 * not explain (it stood still through most of the wait) are stalls. `exchanged`: round trips after the
 * drain command went out; `slowest`: the slowest of them, for the pass message.
 */
export function oldConnectionsNoStall(
  ctx: RunContext,
  slow: readonly SlowExchange[],
  exchanged: number,
  slowest: { conn: OldConnection; rttMs: number } | undefined,
  startedAt: number,
): void {
  const o = ctx.options;
  const verifierStalls = ctx.monitor.stallsSoFar().map((s) => ({ startMs: s.start, endMs: s.end }));
  const stalls: Failure[] = [];
  let excused = 0;
  for (const x of slow) {
    const own = stalledWithin(verifierStalls, x.sentAt, x.sentAt + x.rttMs);
    if (x.rttMs - own <= x.thresholdMs) {
      excused++;
      continue;
    }
    const atMs = ctx.sinceDrain(x.sentAt);
    stalls.push({
      class: 'stall',
      connection: x.conn.id,
      server: x.conn.server,
      atMs,
      detail: `answered after ${r1(x.rttMs)} ms; before the drain its p99 was ${r1(x.baselineP99Ms)} ms`,
    });
    const s = ctx.server(x.conn.server);
    if (s) s.stalls++;
    ctx.disruptions.sample(atMs, ctx.sinceDrain(x.sentAt + x.rttMs), [{ connection: x.conn.id, class: 'stall' }]);
  }
  const excusedNote =
    excused > 0
      ? `; ${excused} slow round trip${excused === 1 ? '' : 's'} came while the verifier's own event loop stood still and ${excused === 1 ? 'is' : 'are'} not counted`
      : '';
  const rule = `${STALL_FACTOR}× its own pre-drain p99 and over ${STALL_FLOOR_MS} ms`;
  if (exchanged === 0) {
    ctx.check(
      'old-connections-no-stall',
      'skip',
      'no line was exchanged after the drain command went out',
      [],
      startedAt,
    );
    return;
  }
  if (stalls.length === 0) {
    const worst = slowest ? ` (slowest: ${r1(slowest.rttMs)} ms on ${slowest.conn.id} on ${slowest.conn.server})` : '';
    ctx.check(
      'old-connections-no-stall',
      'pass',
      `no old connection answered slower than ${rule} through the drain and the hold${worst}${excusedNote}`,
      [],
      startedAt,
    );
    return;
  }
  const conns = new Set(stalls.map((f) => f.connection));
  const servers = [...new Set(stalls.map((f) => f.server))].join(', ');
  const first = stalls.reduce((a, b) => (b.atMs < a.atMs ? b : a));
  ctx.check(
    'old-connections-no-stall',
    o.strict ? 'fail' : 'warn',
    `${conns.size} old connection${conns.size === 1 ? '' : 's'} on ${servers} stalled (a round trip over ${rule}): first ${first.connection} on ${first.server}, sent at ${signed(first.atMs)} ms from the drain, ${first.detail} — a pause clients feel, shorter than --timeout ${o.timeoutMs} ms${excusedNote}`,
    stalls,
    startedAt,
  );
}
