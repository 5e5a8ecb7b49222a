/**
 * New connections through the VIP, the evidence of new-connections-avoid-drained, reused-source-port and
 * new-connections-return. Each one's source address:port is recorded with the server that answered it;
 * `sampleConnection` only ever returns a connection from a pair this run had not used before, because a
 * reused pair follows its earlier connection on IPVS instead of being scheduled (see probe/source-ports.ts).
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { ConnectFailure, type ProbeConnection } from '../probe/connection.js';
import type { PortUse } from '../probe/source-ports.js';
import type { FailureClass, PhaseId } from '../report/types.js';
import type { ReuseHit, RunContext } from './context.js';

export interface SourcePair {
  address: string | undefined;
  port: number;
}

export type FreshResult =
  | {
      host: string;
      source: SourcePair;
      /** Earlier connections of this run from the same source pair (empty: a fresh pair). */
      earlier: readonly PortUse[];
    }
  | { class: FailureClass; detail: string; code?: string };

/**
 * One new connection through the VIP, named `id`: connect (from `bind` when given, else the kernel's
 * choice), ask which host, `shutdown`. Its source pair goes on the run's record.
 */
export async function freshConnection(
  ctx: RunContext,
  phase: PhaseId,
  id: string,
  bind?: { port?: number; address?: string | undefined },
): Promise<FreshResult> {
  const o = ctx.options;
  const sentAt = performance.now();
  const kind = id === 'probe' ? 'reused-port' : phase === 'restore' ? 'return' : 'new';
  // Probes come from the run's client addresses in turn; one that names its address keeps it.
  const localAddress = bind?.address ?? ctx.sources.pick(kind === 'return' ? 'return' : 'new');
  let conn: ProbeConnection;
  try {
    conn = await ctx.openConnection({
      ...(bind?.port !== undefined ? { localPort: bind.port } : {}),
      ...(localAddress !== undefined ? { localAddress } : {}),
    });
  } catch (err) {
    if (!(err instanceof ConnectFailure)) throw err;
    // A local port still taken is retried by the caller: nothing went on the wire.
    if (err.code !== 'EADDRINUSE' && err.code !== 'EADDRNOTAVAIL')
      ctx.timeline.fresh(kind, sentAt, undefined, { ok: false, class: err.failureClass });
    return { class: err.failureClass, detail: `connect: ${err.message}`, code: err.code };
  }
  const source = { address: conn.localAddress, port: conn.localPort };
  const earlier = [...ctx.ports.usesOf(source.address, source.port)];
  const ex = await conn.ask('hello', undefined, o.timeoutMs, { last: true });
  ctx.ports.record(source.address, source.port, { connection: id, server: ex.ok ? ex.host : '' });
  // A connection from a pair used before is drawn as what it is, never as a new one or a return.
  ctx.timeline.fresh(earlier.length > 0 ? 'reused-port' : kind, sentAt, conn.connectMs, ex);
  if (!ex.ok) {
    conn.destroy();
    return { class: ex.class, detail: ex.detail };
  }
  ctx.latency.record(ex.host, phase, 'connect', conn.connectMs);
  ctx.latency.record(ex.host, phase, 'rtt', ex.rttMs);
  ctx.countReply(ex.host);
  await conn.shutdown(o.timeoutMs);
  return { host: ex.host, source, earlier };
}

export type Sample =
  /** Answered, from a source pair never used before in the run: where the director scheduled it. */
  | { host: string }
  /** No answer: the service failed this new connection. */
  | { class: FailureClass; detail: string }
  /** No fresh source port could be had: nothing observed. */
  | { noFreshPort: string };

/** Binding a picked port can meet one in use by another program: try a few. */
const BIND_ATTEMPTS = 5;

/** The local side refused the port (taken, or the ephemeral range used up): nothing went on the wire. */
const portTrouble = (r: FreshResult): r is Extract<FreshResult, { class: FailureClass }> =>
  'code' in r && (r.code === 'EADDRINUSE' || r.code === 'EADDRNOTAVAIL');

/**
 * A new connection whose answer counts: from a source pair this run never used. The kernel picks the
 * port first; a pair it hands back that was used before is set aside — a `ReuseHit` when it reached the
 * drained server the way an earlier connection from it had — and the sample is taken again from a port
 * picked from the ephemeral range. So is one the kernel could not give (EADDRNOTAVAIL: its range is used
 * up), which is this machine's shortage, never the service's failure.
 */
export async function sampleConnection(ctx: RunContext, phase: PhaseId, id: string): Promise<Sample> {
  const first = await freshConnection(ctx, phase, id);
  let address: string | undefined;
  let last = '';
  if ('host' in first) {
    if (first.earlier.length === 0) return { host: first.host };
    setAside(ctx, phase, id, first);
    address = first.source.address;
  } else if (portTrouble(first)) {
    last = `${first.code} for a port of the kernel's choice`;
  } else {
    return first;
  }
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
    const port = ctx.ports.pick();
    if (port === undefined) break;
    const retryId = `${id}'`;
    const r = await freshConnection(ctx, phase, retryId, { port, address });
    if ('host' in r) {
      if (r.earlier.length === 0) return { host: r.host };
      setAside(ctx, phase, retryId, r);
      continue;
    }
    if (portTrouble(r)) {
      ctx.ports.refuse(port);
      last = `${r.code} on port ${port}`;
      continue;
    }
    return r;
  }
  return { noFreshPort: `no unused local port could be bound${last ? ` (${last})` : ''}` };
}

function setAside(ctx: RunContext, phase: PhaseId, id: string, r: Extract<FreshResult, { host: string }>): void {
  ctx.setAside.set(phase, (ctx.setAside.get(phase) ?? 0) + 1);
  if (r.host !== ctx.drainedName) return;
  const earlier = r.earlier.find((u) => u.server === ctx.drainedName);
  if (earlier) recordReuseHit(ctx, phase, id, r, earlier);
}

/** A new connection from a reused source pair that reached the drained server: counted on it and kept on the run's record. */
export function recordReuseHit(
  ctx: RunContext,
  phase: PhaseId,
  connection: string,
  r: Extract<FreshResult, { host: string }>,
  earlier: PortUse,
): ReuseHit {
  const s = ctx.server(r.host);
  if (s) s.reusedPortConnections++;
  const hit: ReuseHit = {
    connection,
    server: r.host,
    atMs: ctx.sinceDrain(),
    source: formatHostPort({ host: r.source.address ?? '?', port: r.source.port }),
    earlier,
    phase,
  };
  ctx.reuseHits.push(hit);
  return hit;
}
