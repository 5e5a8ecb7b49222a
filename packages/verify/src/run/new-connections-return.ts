/**
 * The `new-connections-return` check: after the restore, new connections reach the drained server
 * again. A restore the director acknowledges but does not act on fails here.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import type { RunContext } from './context.js';
import { freshConnection } from './fresh.js';

/** After the restore, new connections must reach the drained server again within `restoreTimeoutMs`. */
export async function newConnectionsReturn(ctx: RunContext): Promise<void> {
  const o = ctx.options;
  const started = performance.now();
  const deadline = started + o.restoreTimeoutMs;
  const maxTries = 1000;
  let tries = 0;
  const got = new Map<string, number>();
  while (performance.now() < deadline && tries < maxTries) {
    ctx.throwIfAborted();
    tries++;
    const r = await freshConnection(ctx, 'restore');
    if (!('host' in r)) continue;
    got.set(r.host, (got.get(r.host) ?? 0) + 1);
    const s = ctx.server(r.host);
    if (s) s.returnedConnections++;
    if (r.host === ctx.drainedName) {
      ctx.check(
        'new-connections-return',
        'pass',
        `a new connection reached ${ctx.drainedName} again after ${Math.round(performance.now() - started)} ms (try ${tries})`,
        [],
        started,
      );
      return;
    }
    // Give the director a moment between tries: a restore may take effect a little later.
    await new Promise((r) => setTimeout(r, Math.min(50, o.intervalMs)));
  }
  const counts = [...got].map(([n, c]) => `${n}: ${c}`).join(', ') || 'none answered';
  ctx.check(
    'new-connections-return',
    'fail',
    `no new connection reached ${ctx.drainedName} (${formatHostPort(o.drain)}) within ${o.restoreTimeoutMs} ms after the restore (${tries} tries: ${counts})`,
    [],
    started,
  );
}
