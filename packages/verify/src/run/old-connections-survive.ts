/**
 * The `old-connections-survive` check (the hold phase): the connections opened before the drain keep
 * being answered, by the same server, for the whole hold. This is the promise a drain makes.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { expectedRounds, paceWarning } from '../measure/overload.js';
import type { Failure } from '../report/types.js';
import type { OldConnection, RunContext } from './context.js';
import { type PaceSlot, paceSchedule, TurnGate } from './pacing.js';

/** Resolves early on abort; the caller checks the signal. */
const sleep = (ms: number, signal?: AbortSignal) => delay(Math.max(0, ms), undefined, { signal }).catch(() => {});

/**
 * For `holdMs` after the drain every old connection sends a line every `intervalMs` and must be
 * answered by the same host within `timeoutMs`. A connection's first failure is final. Each round's
 * lines go out spread over the interval (`paceSchedule`), so thousands of connections do not make one
 * burst the verifier itself cannot read back in time.
 */
export async function oldConnectionsSurvive(ctx: RunContext): Promise<void> {
  const o = ctx.options;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  ctx.startPhase(
    'hold',
    `holding ${ctx.old.length} old connections for ${o.holdMs} ms, a line every ${o.intervalMs} ms`,
  );
  const failures: Failure[] = [];
  const end = started + o.holdMs;
  const schedule = paceSchedule(ctx.old.length, o.intervalMs);
  // Every slot sleeps on the abort signal at once: one listener on the caller's, one per slot on ours.
  const stop = new AbortController();
  setMaxListeners(schedule.length + 1, stop.signal);
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const gate = new TurnGate();
  let perSlot: number[];
  try {
    perSlot = await Promise.all(
      schedule.map((slot) => holdSlot(ctx, { slot, started, end, gate, signal: stop.signal }, failures)),
    );
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  // The slowest group of connections sets what every connection got at least.
  const tick = perSlot.length > 0 ? Math.min(...perSlot) : 0;
  ctx.throwIfAborted();
  const expected = expectedRounds(o.holdMs, o.intervalMs);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - started)) * 100);
  ctx.holdRounds = { rounds: tick, expectedRounds: expected, cpuPercent };
  const behind = paceWarning(tick, expected, o.intervalMs, cpuPercent);
  if (behind) ctx.verifierWarn('hold', behind);
  // Lost connections stay lost: the disruption lasts to the end of the hold, not to the last tick.
  const lost = ctx.old.filter((c) => c.failed).map((c) => ({ connection: c.id, class: c.failed!.class }));
  ctx.disruptions.sample(ctx.sinceDrain(), ctx.sinceDrain(), lost);
  for (const s of ctx.servers.values())
    s.connectionsAfter = ctx.old.filter((c) => c.server === s.name && !c.failed).length;
  const onDrained = ctx.old.filter((c) => c.server === ctx.drainedName);
  const rounds = `${tick} of ${expected} rounds`;
  if (failures.length === 0) {
    ctx.check(
      'old-connections-survive',
      'pass',
      `all ${ctx.old.length} old connections (${onDrained.length} on ${ctx.drainedName}) answered every line for ${o.holdMs} ms (${rounds})`,
      [],
      started,
    );
  } else {
    const byClass = new Map<string, number>();
    for (const f of failures) byClass.set(f.class, (byClass.get(f.class) ?? 0) + 1);
    const first = failures.reduce((a, b) => (b.atMs < a.atMs ? b : a));
    ctx.check(
      'old-connections-survive',
      'fail',
      `${failures.length} of ${ctx.old.length} old connections failed (${[...byClass].map(([c, n]) => `${n} ${c}`).join(', ')}); first: ${first.connection} on ${first.server} ${first.class} at +${first.atMs} ms`,
      failures,
      started,
    );
  }
}

interface SlotPace {
  slot: PaceSlot;
  /** performance.now() of the hold's start and end. */
  started: number;
  end: number;
  gate: TurnGate;
  signal: AbortSignal;
}

/**
 * One slot's connections: a line each, `slot.offsetMs` into the hold and then every interval (later
 * when the replies took longer). Returns the rounds it got through.
 */
async function holdSlot(ctx: RunContext, pace: SlotPace, failures: Failure[]): Promise<number> {
  const { slot, started, end, gate, signal } = pace;
  const o = ctx.options;
  const conns = ctx.old.slice(slot.from, slot.to);
  let due = started + slot.offsetMs;
  let round = 0;
  while (due < end) {
    await sleep(due - performance.now(), signal);
    await gate.pass();
    ctx.throwIfAborted();
    const roundStart = performance.now();
    round++;
    const newly = await Promise.all(conns.map((c) => exchange(ctx, c, round)));
    const failing = conns.filter((c) => c.failed).map((c) => ({ connection: c.id, class: c.failed!.class }));
    ctx.disruptions.sample(ctx.sinceDrain(roundStart), ctx.sinceDrain(), failing);
    for (const f of newly) if (f) failures.push(f);
    // A fixed cadence; a round that ran late moves the next one, never makes two go out back to back.
    due = Math.max(due + o.intervalMs, performance.now());
  }
  return round;
}

async function exchange(ctx: RunContext, c: OldConnection, tick: number): Promise<Failure | undefined> {
  if (c.failed) return undefined;
  const sentAt = performance.now();
  const ex = await c.conn.ask(`line ${tick} ${c.id}`, c.server, ctx.options.timeoutMs);
  ctx.timeline.probe(c.id, sentAt, ex);
  if (ex.ok) {
    ctx.countReply(c.server);
    ctx.latency.record(c.server, 'hold', 'rtt', ex.rttMs);
    return undefined;
  }
  c.failed = { class: ex.class, connection: c.id, server: c.server, atMs: ctx.sinceDrain(), detail: ex.detail };
  ctx.countFailure(c.server, ex.class);
  c.conn.destroy();
  return c.failed;
}
