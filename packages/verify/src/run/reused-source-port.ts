/**
 * The `reused-source-port` check: a new connection that reuses the source port of an old one must not
 * follow it to the drained server. IPVS can get this wrong (conn_reuse_mode); a WARN by default, a FAIL
 * with --strict.
 */
import type { RunContext } from './context.js';
import { freshConnection } from './fresh.js';

const EXPLAIN =
  'IPVS keeps the old connection entry after a close and may hand a new connection from the same client port to the drained server (net.ipv4.vs.conn_reuse_mode); on a DR director set net.ipv4.vs.conn_reuse_mode=3 (or 2)';

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
  // (through a software-emulated director this takes a moment): retry the bind briefly.
  let r = await freshConnection(ctx, 'new-connections', port, address);
  for (let i = 0; i < 20 && !('host' in r) && r.code === 'EADDRINUSE'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    r = await freshConnection(ctx, 'new-connections', port, address);
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
  if (r.host !== ctx.drainedName) {
    ctx.check(
      'reused-source-port',
      'pass',
      `a new connection from port ${port} (used by ${victim.id} on ${ctx.drainedName}) went to ${r.host}`,
      [],
      started,
    );
    return;
  }
  ctx.countFailure(r.host, 'wrong-host');
  ctx.check(
    'reused-source-port',
    o.strict ? 'fail' : 'warn',
    `a new connection from port ${port} (just used by ${victim.id}) reached the drained server ${r.host}: ${EXPLAIN}`,
    [
      {
        class: 'wrong-host',
        connection: 'probe',
        server: r.host,
        atMs: ctx.sinceDrain(),
        detail: `source port ${port} reused`,
      },
    ],
    started,
  );
}
