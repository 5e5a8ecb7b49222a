import { setTimeout as delay } from 'node:timers/promises';
import type { Failure } from '../report/types.js';
import type { OldConnection, RunContext } from './context.js';

/** Resolves early on abort; the caller checks the signal. */
const sleep = (ms: number, signal?: AbortSignal) => delay(Math.max(0, ms), undefined, { signal }).catch(() => {});

/**
 * For `holdMs` after the drain every old connection sends a line every `intervalMs` and must be
 * answered by the same host within `timeoutMs`. A connection's first failure is final.
 */
export async function hold(ctx: RunContext): Promise<void> {
  const o = ctx.options;
  const started = performance.now();
  ctx.startPhase(
    'hold',
    `holding ${ctx.old.length} old connections for ${o.holdMs} ms, a line every ${o.intervalMs} ms`,
  );
  const failures: Failure[] = [];
  const end = started + o.holdMs;
  let tick = 0;
  while (performance.now() < end) {
    ctx.throwIfAborted();
    const tickStart = performance.now();
    tick++;
    const newly = await Promise.all(ctx.old.map((c) => exchange(ctx, c, tick)));
    const failing = ctx.old.filter((c) => c.failed).map((c) => ({ connection: c.id, class: c.failed!.class }));
    ctx.disruptions.sample(ctx.sinceDrain(tickStart), ctx.sinceDrain(), failing);
    for (const f of newly) if (f) failures.push(f);
    await sleep(Math.min(o.intervalMs - (performance.now() - tickStart), end - performance.now()), o.signal);
  }
  ctx.throwIfAborted();
  // Lost connections stay lost: the disruption lasts to the end of the hold, not to the last tick.
  const lost = ctx.old.filter((c) => c.failed).map((c) => ({ connection: c.id, class: c.failed!.class }));
  ctx.disruptions.sample(ctx.sinceDrain(), ctx.sinceDrain(), lost);
  for (const s of ctx.servers.values())
    s.connectionsAfter = ctx.old.filter((c) => c.server === s.name && !c.failed).length;
  const onDrained = ctx.old.filter((c) => c.server === ctx.drainedName);
  if (failures.length === 0) {
    ctx.check(
      'old-connections-survive',
      'pass',
      `all ${ctx.old.length} old connections (${onDrained.length} on ${ctx.drainedName}) answered every line for ${o.holdMs} ms (${tick} rounds)`,
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

async function exchange(ctx: RunContext, c: OldConnection, tick: number): Promise<Failure | undefined> {
  if (c.failed) return undefined;
  const ex = await c.conn.ask(`line ${tick} ${c.id}`, c.server, ctx.options.timeoutMs);
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
