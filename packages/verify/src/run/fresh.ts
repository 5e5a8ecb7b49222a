import { ConnectFailure, ProbeConnection } from '../probe/connection.js';
import type { FailureClass, PhaseId } from '../report/types.js';
import type { RunContext } from './context.js';

export type FreshResult = { host: string } | { class: FailureClass; detail: string; code?: string };

/** One fresh connection through the VIP: connect, ask which host, `shutdown`. */
export async function freshConnection(
  ctx: RunContext,
  phase: PhaseId,
  localPort?: number,
  localAddress?: string,
): Promise<FreshResult> {
  const o = ctx.options;
  const sentAt = performance.now();
  const kind = phase === 'restore' ? 'return' : localPort !== undefined ? 'reused-port' : 'new';
  // Fresh probes come from the run's client addresses in turn; a reused-port probe names its own.
  localAddress ??= ctx.sources.pick(kind === 'return' ? 'return' : 'new');
  let conn: ProbeConnection;
  try {
    conn = await ProbeConnection.open({
      host: o.vip.host,
      port: o.vip.port,
      timeoutMs: o.timeoutMs,
      localPort,
      localAddress,
    });
  } catch (err) {
    if (!(err instanceof ConnectFailure)) throw err;
    // A local port still taken is retried by the caller: nothing went on the wire.
    if (err.code !== 'EADDRINUSE' && err.code !== 'EADDRNOTAVAIL')
      ctx.timeline.fresh(kind, sentAt, undefined, { ok: false, class: err.failureClass });
    return { class: err.failureClass, detail: `connect: ${err.message}`, code: err.code };
  }
  const ex = await conn.ask('hello', undefined, o.timeoutMs);
  ctx.timeline.fresh(kind, sentAt, conn.connectMs, ex);
  if (!ex.ok) {
    conn.destroy();
    return { class: ex.class, detail: ex.detail };
  }
  ctx.latency.record(ex.host, phase, 'connect', conn.connectMs);
  ctx.latency.record(ex.host, phase, 'rtt', ex.rttMs);
  ctx.countReply(ex.host);
  await conn.shutdown(o.timeoutMs);
  return { host: ex.host };
}
