/**
 * The `old-connections-survive` check (the hold): the connections opened before the drain keep being
 * answered, by the same server, through the drain command and for the whole hold after it. The lines
 * start before the drain command goes out — a few rounds give each connection its own normal round
 * trip — and keep going while the command runs (over ssh, several round trips), so a blackout at the
 * drain moment is seen as it happens: as a failure, or, when shorter than the timeout, as a stall
 * (old-connections-no-stall).
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { formatDuration } from '@lvs-drain-kit/common';
import { expectedRounds, paceWarning } from '../measure/overload.js';
import { signed } from '../report/time.js';
import type { Failure } from '../report/types.js';
import type { OldConnection, RunContext } from './context.js';
import { oldConnectionsNoStall, type SlowExchange, stallThreshold } from './old-connections-no-stall.js';
import { type PaceSlot, paceSchedule, TurnGate } from './pacing.js';

/** Resolves early on abort; the caller checks the signal. */
const sleep = (ms: number, signal?: AbortSignal) => delay(Math.max(0, ms), undefined, { signal }).catch(() => {});

/** Rounds every connection gets before the drain command goes out: its baseline. */
export const BASELINE_ROUNDS = 2;

/** What the slots share: when the hold ends (unknown until the drain took effect), and what they saw. */
interface Hold {
  started: number;
  /** performance.now() the hold ends: the drain's time + holdMs; Infinity until the drain took effect. */
  end: number;
  stopped: boolean;
  gate: TurnGate;
  signal: AbortSignal;
  failures: Array<{ failure: Failure; at: number }>;
  /** Disruption samples in performance.now() time, turned into time since the drain at the end. */
  samples: Array<{ start: number; end: number; failing: Array<{ connection: string; class: Failure['class'] }> }>;
  slow: SlowExchange[];
  exchangedAfterCommand: number;
  slowest: { conn: OldConnection; rttMs: number } | undefined;
  onBaseline: () => void;
}

/**
 * Holds the old connections through `drain` and for `holdMs` after it took effect: every connection
 * sends a line every `intervalMs` and must be answered by the same host within `timeoutMs`; a
 * connection's first failure is final. Each round's lines go out spread over the interval
 * (`paceSchedule`), so thousands of connections do not make one burst the verifier itself cannot read
 * back in time. When `drain` throws, the lines stop and its error goes on.
 */
export async function holdThroughDrain(ctx: RunContext, drain: () => Promise<void>): Promise<void> {
  const o = ctx.options;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  ctx.startPhase(
    'drain',
    `${ctx.old.length} old connections talking (a line every ${formatDuration(o.intervalMs)}) before and through the drain of ${ctx.drainedName}`,
  );
  const schedule = paceSchedule(ctx.old.length, o.intervalMs);
  // Every slot sleeps on the abort signal at once: one listener on the caller's, one per slot on ours.
  const stop = new AbortController();
  setMaxListeners(schedule.length + 1, stop.signal);
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let baselined = 0;
  let baselineReady!: () => void;
  const baseline = new Promise<void>((resolve) => {
    baselineReady = resolve;
  });
  const hold: Hold = {
    started,
    end: Number.POSITIVE_INFINITY,
    stopped: false,
    gate: new TurnGate(),
    signal: stop.signal,
    failures: [],
    samples: [],
    slow: [],
    exchangedAfterCommand: 0,
    slowest: undefined,
    onBaseline: () => {
      if (++baselined === schedule.length) baselineReady();
    },
  };
  const slots = Promise.all(schedule.map((slot) => holdSlot(ctx, slot, hold)));
  // Settled here or below, whichever way the run goes: never an unhandled rejection.
  slots.catch(() => {});
  let perSlot: number[];
  try {
    await Promise.race([baseline, slots]);
    ctx.drainSentAt = performance.now();
    try {
      await drain();
    } catch (err) {
      hold.stopped = true;
      stop.abort();
      await slots.catch(() => {});
      throw err;
    }
    hold.end = (ctx.drainAt ?? performance.now()) + o.holdMs;
    ctx.startPhase(
      'hold',
      `holding ${ctx.old.length} old connections until ${o.holdMs} ms after the drain, a line every ${o.intervalMs} ms`,
    );
    perSlot = await slots;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  ctx.throwIfAborted();
  for (const { failure, at } of hold.failures) failure.atMs = ctx.sinceDrain(at);
  const failures = hold.failures.map((f) => f.failure);
  for (const x of hold.samples.sort((a, b) => a.start - b.start))
    ctx.disruptions.sample(ctx.sinceDrain(x.start), ctx.sinceDrain(x.end), x.failing);
  // The slowest group of connections sets what every connection got at least.
  const tick = perSlot.length > 0 ? Math.min(...perSlot) : 0;
  const expected = expectedRounds(o.holdMs, o.intervalMs);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - started)) * 100);
  ctx.holdRounds = { rounds: tick, expectedRounds: expected, cpuPercent };
  const timeouts = failures.filter((f) => f.class === 'timeout').length;
  const behind = paceWarning(tick, expected, o.intervalMs, cpuPercent, timeouts);
  if (behind) ctx.verifierWarn('hold', behind);
  // Lost connections stay lost: the disruption lasts to the end of the hold, not to the last tick.
  const lost = ctx.old.filter((c) => c.failed).map((c) => ({ connection: c.id, class: c.failed!.class }));
  ctx.disruptions.sample(ctx.sinceDrain(), ctx.sinceDrain(), lost);
  for (const s of ctx.servers.values())
    s.connectionsAfter = ctx.old.filter((c) => c.server === s.name && !c.failed).length;
  const onDrained = ctx.old.filter((c) => c.server === ctx.drainedName);
  const rounds = `${tick} of ${expected} rounds after the drain`;
  if (failures.length > 0) {
    const byClass = new Map<string, number>();
    for (const f of failures) byClass.set(f.class, (byClass.get(f.class) ?? 0) + 1);
    const first = failures.reduce((a, b) => (b.atMs < a.atMs ? b : a));
    const commandAt = ctx.drainSentAt === undefined ? 0 : ctx.sinceDrain(ctx.drainSentAt);
    const when =
      first.atMs >= 0 ? '' : first.atMs >= commandAt ? ' (while the drain command ran)' : ' (before the drain command)';
    ctx.check(
      'old-connections-survive',
      'fail',
      `${failures.length} of ${ctx.old.length} old connections failed (${[...byClass].map(([c, n]) => `${n} ${c}`).join(', ')}); first: ${first.connection} on ${first.server} ${first.class} at ${signed(first.atMs)} ms${when}`,
      failures,
      started,
    );
  } else if (tick === 0) {
    ctx.check(
      'old-connections-survive',
      'inconclusive',
      `no round of lines went out on every old connection after the drain took effect (${rounds}): nothing shows they survived it`,
      [],
      started,
    );
  } else {
    ctx.check(
      'old-connections-survive',
      'pass',
      `all ${ctx.old.length} old connections (${onDrained.length} on ${ctx.drainedName}) answered every line through the drain and for ${o.holdMs} ms after it (${rounds})`,
      [],
      started,
    );
  }
  oldConnectionsNoStall(ctx, hold.slow, hold.exchangedAfterCommand, hold.slowest, started);
}

/**
 * One slot's connections: a line each, `slot.offsetMs` into the hold and then every interval (later
 * when the replies took longer), until the hold ends. Returns the rounds it started after the drain
 * took effect.
 */
async function holdSlot(ctx: RunContext, slot: PaceSlot, hold: Hold): Promise<number> {
  const o = ctx.options;
  const conns = ctx.old.slice(slot.from, slot.to);
  let due = hold.started + slot.offsetMs;
  let round = 0;
  // The drain's time is known only once the command (and its read-back) returned: count afterwards.
  const starts: number[] = [];
  while (due < hold.end && !hold.stopped) {
    await sleep(due - performance.now(), hold.signal);
    if (hold.stopped) break;
    await hold.gate.pass();
    ctx.throwIfAborted();
    const roundStart = performance.now();
    if (roundStart >= hold.end) break;
    round++;
    starts.push(roundStart);
    await Promise.all(conns.map((c) => exchange(ctx, c, round, hold)));
    const failing = conns.filter((c) => c.failed).map((c) => ({ connection: c.id, class: c.failed!.class }));
    if (failing.length > 0) hold.samples.push({ start: roundStart, end: performance.now(), failing });
    if (round === BASELINE_ROUNDS) hold.onBaseline();
    // A fixed cadence; a round that ran late moves the next one, never makes two go out back to back.
    due = Math.max(due + o.intervalMs, performance.now());
  }
  // A slot stopped before its baseline (all of it failed, or the run is stopping) must not hold the drain back.
  if (round < BASELINE_ROUNDS) hold.onBaseline();
  const drainAt = ctx.drainAt;
  // Rounds of the hold: from the drain's moment to holdMs after it (a read-back slower than the hold
  // leaves lines that came after its end, and they are not the hold's).
  const end = drainAt === undefined ? 0 : drainAt + o.holdMs;
  return drainAt === undefined ? 0 : starts.filter((t) => t >= drainAt && t < end).length;
}

async function exchange(ctx: RunContext, c: OldConnection, tick: number, hold: Hold): Promise<void> {
  if (c.failed) return;
  const beforeCommand = ctx.drainSentAt === undefined;
  const sentAt = performance.now();
  const ex = await c.conn.ask(`line ${tick} ${c.id}`, c.server, ctx.options.timeoutMs);
  ctx.timeline.probe(c.id, sentAt, ex);
  if (ex.ok) {
    ctx.countReply(c.server);
    const afterDrain = ctx.drainAt !== undefined && sentAt >= ctx.drainAt;
    ctx.latency.record(c.server, afterDrain ? 'hold' : 'drain', 'rtt', ex.rttMs);
    if (beforeCommand) {
      c.baselineRtts.push(ex.rttMs);
      return;
    }
    hold.exchangedAfterCommand++;
    if (!hold.slowest || ex.rttMs > hold.slowest.rttMs) hold.slowest = { conn: c, rttMs: ex.rttMs };
    c.stall ??= stallThreshold(c);
    const { thresholdMs, baselineP99Ms } = c.stall;
    if (ex.rttMs > thresholdMs) hold.slow.push({ conn: c, sentAt, rttMs: ex.rttMs, thresholdMs, baselineP99Ms });
    return;
  }
  const at = performance.now();
  c.failed = { class: ex.class, connection: c.id, server: c.server, atMs: 0, detail: ex.detail };
  hold.failures.push({ failure: c.failed, at });
  ctx.countFailure(c.server, ex.class);
  c.conn.destroy();
}
