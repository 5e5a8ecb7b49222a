/**
 * The `persistence-templates` check, on a persistent service only: IPVS keeps a template per client
 * address, and a template naming a weight-0 server still sends its client there until it expires —
 * unless net.ipv4.vs.expire_quiescent_template=1. The new-connection sample came from addresses without
 * a template (new-connections-avoid-drained); this check connects from addresses whose old connections
 * reached the drained server, and says which is which.
 */
import type { RunContext } from './context.js';
import { freshConnection } from './fresh.js';

/** Known clients tried: enough to see templates at work, few enough to stay fast. */
const MAX_KNOWN = 4;

export async function persistenceTemplates(ctx: RunContext): Promise<void> {
  const persistent = ctx.affinity?.persistent;
  if (persistent === undefined) return;
  const started = performance.now();
  const known = [
    ...new Set(ctx.old.filter((c) => c.server === ctx.drainedName).map((c) => c.conn.localAddress)),
  ].filter((a): a is string => a !== undefined);
  const fresh = `${ctx.options.newConnections} new connections from ${ctx.sources.count('new')} client addresses without a template (new-connections-avoid-drained)`;
  if (known.length === 0) {
    ctx.check('persistence-templates', 'skip', `no old connection on ${ctx.drainedName} to try its template; ${fresh}`);
    return;
  }
  const tried = known.slice(0, MAX_KNOWN);
  let reached = 0;
  for (const [i, address] of tried.entries()) {
    ctx.throwIfAborted();
    const r = await freshConnection(ctx, 'new-connections', `template#${i + 1}`, { address });
    if ('host' in r && r.host === ctx.drainedName) reached++;
  }
  const templated = `from ${tried.length} client addresses with a template on ${ctx.drainedName} (${tried.join(', ')}), ${reached} new connections reached it`;
  if (reached === 0) {
    ctx.check(
      'persistence-templates',
      'pass',
      `${templated}: their templates no longer send clients to a weight-0 server (expire_quiescent_template=1); ${fresh}`,
      [],
      started,
    );
    return;
  }
  ctx.check(
    'persistence-templates',
    ctx.options.strict ? 'fail' : 'warn',
    `${templated}: persistence templates keep sending known clients to the drained server for up to ${persistent} s after their last connection; set net.ipv4.vs.expire_quiescent_template=1 on the director so a drain moves them; ${fresh}`,
    [],
    started,
  );
}
