/**
 * The `new-connections-avoid-drained` check: once the weight is 0, no new connection may reach the
 * drained server. The other half of what a drain promises, proven by where connections go, not by what
 * the director says.
 */
import type { Failure } from '../report/types.js';
import type { RunContext } from './context.js';
import { freshConnection } from './fresh.js';

/** `newConnections` fresh connections after the drain: none may be answered by the drained host. */
export async function newConnectionsAvoidDrained(ctx: RunContext): Promise<void> {
  const o = ctx.options;
  const started = performance.now();
  ctx.startPhase('new-connections', `opening ${o.newConnections} new connections`);
  const failures: Failure[] = [];
  const got = new Map<string, number>();
  for (let i = 1; i <= o.newConnections; i++) {
    ctx.throwIfAborted();
    const t = performance.now();
    const id = `new#${i}`;
    const r = await freshConnection(ctx, 'new-connections');
    let failure: Failure | undefined;
    if ('host' in r) {
      got.set(r.host, (got.get(r.host) ?? 0) + 1);
      const s = ctx.server(r.host);
      if (s) s.newConnections++;
      if (r.host === ctx.drainedName) {
        failure = {
          class: 'wrong-host',
          connection: id,
          server: r.host,
          atMs: ctx.sinceDrain(),
          detail: `answered by the drained server ${r.host}`,
        };
      }
    } else {
      failure = { class: r.class, connection: id, server: '', atMs: ctx.sinceDrain(), detail: r.detail };
    }
    if (failure) {
      failures.push(failure);
      if (failure.server) ctx.countFailure(failure.server, failure.class);
      ctx.disruptions.sample(ctx.sinceDrain(t), ctx.sinceDrain(), [failure]);
    }
  }
  const counts = [...got].map(([n, c]) => `${n}: ${c}`).join(', ') || 'none answered';
  if (failures.length === 0) {
    ctx.check(
      'new-connections-avoid-drained',
      'pass',
      `${o.newConnections} new connections, none reached ${ctx.drainedName} (${counts})`,
      [],
      started,
    );
  } else {
    const reached = failures.filter((f) => f.class === 'wrong-host').length;
    const broken = failures.length - reached;
    const parts = [];
    if (reached > 0)
      parts.push(`${reached} of ${o.newConnections} new connections reached the drained server ${ctx.drainedName}`);
    if (broken > 0)
      parts.push(
        `${broken} got no answer (${[...new Set(failures.filter((f) => f.class !== 'wrong-host').map((f) => f.class))].join(', ')})`,
      );
    const why = broken > 0 && ctx.affinity?.refusesDrained ? `; ${ctx.affinity.refusesDrained}` : '';
    ctx.check('new-connections-avoid-drained', 'fail', `${parts.join('; ')} (${counts})${why}`, failures, started);
  }
}
