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
    if (err instanceof ConnectFailure)
      return { class: err.failureClass, detail: `connect: ${err.message}`, code: err.code };
    throw err;
  }
  const ex = await conn.ask('hello', undefined, o.timeoutMs);
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
