/**
 * The `reused-source-port` check: a new connection that reuses the source port of an old one must not
 * follow it to the drained server. IPVS can get this wrong (conn_reuse_mode); a WARN by default, a FAIL
 * with --strict. Besides its own probe, it reports every other new connection of the run that reached
 * the drained server only through a reused port (those never count as a leak or a return). It blames
 * port reuse only when connections from fresh ports avoided the server: when they did not, the drain
 * itself did not take, and that is new-connections-avoid-drained's finding.
 */
import type { Failure } from '../report/types.js';
import type { ReuseHit, RunContext } from './context.js';
import { freshConnection, recordReuseHit } from './fresh.js';

export const REUSE_EXPLAIN =
  "IPVS keeps a closed connection's entry (FIN_WAIT, up to 2 min in DR mode) and sends a new connection from the same client address:port to that entry's server whatever its weight (net.ipv4.vs.conn_reuse_mode=1, the default, or 0); on a DR director set net.ipv4.vs.conn_reuse_mode=3 (or 2)";

/** New connections from fresh source ports reached the drained server: the drain did not take. */
function drainLeaked(ctx: RunContext): boolean {
  return (ctx.findCheck('new-connections-avoid-drained')?.power?.reached ?? 0) > 0;
}

function hitFailure(h: ReuseHit): Failure {
  return {
    class: 'wrong-host',
    connection: h.connection,
    server: h.server,
    atMs: h.atMs,
    detail: `source ${h.source} used before by ${h.earlier.connection} on ${h.earlier.server}`,
  };
}

/**
 * A new connection from the local port an old connection to the drained server used. The old one ends
 * with `shutdown` first: the server closes first, so the port can be bound again at once.
 */
export async function reusedSourcePort(ctx: RunContext): Promise<void> {
  const o = ctx.options;
  const started = performance.now();
  if (ctx.affinity?.persistent !== undefined) {
    // Every address of an old connection to the drained server has a template there: a reconnect follows
    // it, whatever the port, and a reused port could not be told apart from the template.
    ctx.check(
      'reused-source-port',
      'skip',
      `persistent service: a reconnect from ${ctx.drainedName}'s clients follows their template (persistence-templates), port reused or not`,
    );
    return;
  }
  const victim = ctx.old.find((c) => c.server === ctx.drainedName && !c.failed);
  if (!victim) {
    ctx.check(
      'reused-source-port',
      'skip',
      `no working old connection to ${ctx.drainedName} left to take a source port from`,
      [],
      started,
    );
    return;
  }
  const port = victim.conn.localPort;
  const address = victim.conn.localAddress;
  await victim.conn.shutdown(o.timeoutMs);
  ctx.old = ctx.old.filter((c) => c !== victim);
  // The client's side of the old connection lingers in LAST_ACK until the server's final ACK arrives
  // (through a software-emulated director, or a busy machine, this takes a moment): retry the bind, as
  // long as a reply may take.
  const deadline = performance.now() + Math.max(1000, o.timeoutMs);
  let r = await freshConnection(ctx, 'new-connections', 'probe', { port, address });
  while (!('host' in r) && r.code === 'EADDRINUSE' && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    r = await freshConnection(ctx, 'new-connections', 'probe', { port, address });
  }
  if (!('host' in r)) {
    if (r.code === 'EADDRINUSE' || r.code === 'EADDRNOTAVAIL') {
      ctx.check('reused-source-port', 'skip', `could not bind local port ${port} again (${r.code})`, [], started);
    } else {
      ctx.check(
        'reused-source-port',
        'fail',
        `a new connection from reused port ${port} failed: ${r.class} (${r.detail})`,
        [{ class: r.class, connection: 'probe', server: '', atMs: ctx.sinceDrain(), detail: r.detail }],
        started,
      );
    }
    return;
  }
  const earlier = { connection: victim.id, server: victim.server };
  const incidental = ctx.reuseHits.filter((h) => h.phase === 'new-connections');
  if (r.host !== ctx.drainedName && incidental.length === 0) {
    ctx.check(
      'reused-source-port',
      'pass',
      `a new connection from port ${port} (used by ${victim.id} on ${ctx.drainedName}) went to ${r.host}`,
      [],
      started,
    );
    return;
  }
  const hits: ReuseHit[] = [...incidental];
  if (r.host === ctx.drainedName) hits.unshift(recordReuseHit(ctx, 'new-connections', 'probe', r, earlier));
  if (drainLeaked(ctx)) {
    ctx.check(
      'reused-source-port',
      'skip',
      `not judged: new connections from fresh source ports reached ${ctx.drainedName} too (new-connections-avoid-drained), so reaching it from a reused port says nothing about port reuse`,
      hits.map(hitFailure),
      started,
    );
    return;
  }
  const what =
    r.host === ctx.drainedName
      ? `a new connection from port ${port} (just used by ${victim.id}) reached the drained server ${r.host}`
      : `the probe from port ${port} went to ${r.host}, but ${incidental.length} new connection${incidental.length === 1 ? '' : 's'} from source ports used before reached the drained server ${ctx.drainedName} (not counted as leaks)`;
  ctx.check(
    'reused-source-port',
    o.strict ? 'fail' : 'warn',
    `${what}: ${REUSE_EXPLAIN}`,
    hits.map(hitFailure),
    started,
  );
}

/**
 * At the end of the run: return probes that reached the drained server only through a reused port go on
 * this check (they were not counted as returns). Where no fresh-port connection came back, they are
 * the pitfall itself, reaching a server that takes no new connections: a warning (--strict: a failure).
 */
export function reportReusedPortsAfterRestore(ctx: RunContext): void {
  const check = ctx.findCheck('reused-source-port');
  const hits = ctx.reuseHits.filter((h) => h.phase === 'restore');
  if (!check || hits.length === 0) return;
  check.failures.push(...hits.map(hitFailure));
  const returned = ctx.findCheck('new-connections-return')?.status === 'pass';
  const n = `${hits.length} new connection${hits.length === 1 ? '' : 's'} after the restore`;
  if (returned || drainLeaked(ctx)) {
    check.message += `; ${n} came from source ports used before and reached ${ctx.drainedName} (not counted as returns)`;
    return;
  }
  if (check.status === 'warn' || check.status === 'fail') {
    check.message += `; ${n} also reached ${ctx.drainedName} only through source ports used before (not counted as returns)`;
  } else {
    check.status = ctx.options.strict ? 'fail' : 'warn';
    check.message = `${n} reached ${ctx.drainedName} only through source ports used before, while no connection from a fresh port did (not counted as returns): ${REUSE_EXPLAIN}; the probe: ${check.message}`;
  }
  ctx.progress('cleanup', 'warn', `reused-source-port: ${check.status.toUpperCase()} — ${check.message}`);
}
