/**
 * The `spread` check: old connections opened through the VIP land on the drain target and on at least
 * one other server, so the drain has something to prove and somewhere for new connections to go.
 * Without it the run cannot test what it was asked: an environment verdict (exit 3), never a FAIL.
 */
import { EnvironmentError } from '../errors.js';
import { ConnectFailure, type ProbeConnection } from '../probe/connection.js';
import type { RunContext } from './context.js';

/** Spread could not put connections on the target and another server: nothing is drained, exit 3. */
export class SpreadError extends EnvironmentError {
  override name = 'SpreadError';
}

/**
 * Opens the old connections through the VIP and asks each which host it reached; keeps opening
 * (bounded) until the drain target and at least one other server hold some.
 */
export async function spread(ctx: RunContext): Promise<void> {
  const o = ctx.options;
  const started = performance.now();
  ctx.startPhase('spread', `opening ${o.connections} connections through ${ctx.vipText}`);
  const maxAttempts = spreadAttempts(ctx);
  const perServer = new Map<string, number>();
  const enough = () =>
    ctx.old.length >= o.connections &&
    (perServer.get(ctx.drainedName) ?? 0) > 0 &&
    [...perServer].some(([name, n]) => name !== ctx.drainedName && n > 0);
  let attempts = 0;
  while (!enough() && attempts < maxAttempts) {
    ctx.throwIfAborted();
    attempts++;
    const id = `old#${ctx.old.length + 1}`;
    let conn: ProbeConnection;
    const openedAt = performance.now();
    try {
      conn = await ctx.openConnection({ localAddress: ctx.sources.pick('old') });
    } catch (err) {
      if (ctx.old.length === 0 && err instanceof ConnectFailure) {
        throw new EnvironmentError(`cannot connect to the VIP ${ctx.vipText}: ${err.message}`);
      }
      throw err;
    }
    const ex = await conn.ask('hello', undefined, o.timeoutMs);
    ctx.ports.record(conn.localAddress, conn.localPort, { connection: id, server: ex.ok ? ex.host : '' });
    if (!ex.ok) {
      conn.destroy();
      const msg = `a new connection through ${ctx.vipText} got no reply (${ex.class}: ${ex.detail})`;
      ctx.check('spread', 'fail', msg, [], started);
      throw new SpreadError(msg);
    }
    if (!ctx.server(ex.host)) {
      conn.destroy();
      const msg = `a connection through ${ctx.vipText} was answered by "${ex.host}", which is none of the real servers given`;
      ctx.check('spread', 'fail', msg, [], started);
      throw new SpreadError(msg);
    }
    ctx.latency.record(ex.host, 'spread', 'connect', conn.connectMs);
    ctx.latency.record(ex.host, 'spread', 'rtt', ex.rttMs);
    ctx.countReply(ex.host);
    perServer.set(ex.host, (perServer.get(ex.host) ?? 0) + 1);
    ctx.old.push({ id, conn, server: ex.host, helloRttMs: ex.rttMs, baselineRtts: [] });
    ctx.timeline.opened(id, ex.host, openedAt, conn.connectMs, ex);
  }
  const counts = [...ctx.servers.keys()].map((n) => `${n}: ${perServer.get(n) ?? 0}`).join(', ');
  for (const s of ctx.servers.values()) s.connectionsBefore = perServer.get(s.name) ?? 0;
  if (!enough()) {
    const msg = `${
      (perServer.get(ctx.drainedName) ?? 0) === 0
        ? `none of ${attempts} connections reached ${ctx.drainedName} (${counts}): the director does not schedule it`
        : `no connection reached a server other than ${ctx.drainedName} in ${attempts} tries (${counts}): draining it would leave nothing`
    }; ${spreadHint(ctx)}`;
    ctx.check('spread', 'fail', msg, [], started);
    throw new SpreadError(msg);
  }
  ctx.check('spread', 'pass', `${ctx.old.length} connections open (${counts}; ${attempts} tries)`, [], started);
}

/** Chance left of missing a server that should be reached, when spread gives up. */
const MISS = 0.001;

/**
 * Tries before giving up: enough that the least-weighted of the drain target and the rest is reached
 * with 99.9% confidence where the weights are known (a server with 2% of the weight needs ~340), at
 * least 4 per connection asked for.
 */
export function spreadAttempts(ctx: Pick<RunContext, 'servers' | 'options'>): number {
  const base = Math.max(ctx.options.connections * 4, 16);
  const servers = [...ctx.servers.values()];
  const weights = servers.map((s) => s.weightBefore);
  if (weights.some((w) => w === undefined)) return base;
  const total = weights.reduce((a, w) => a! + w!, 0)!;
  const target = servers.find((s) => s.drained)?.weightBefore ?? 0;
  const share = Math.min(target, total - target) / total;
  if (!(share > 0)) return base;
  const needed = Math.ceil(Math.log(MISS) / Math.log(1 - share)) + ctx.options.connections;
  return Math.min(Math.max(base, needed), 10_000);
}

/** What would make spread possible: several client addresses where the director keeps a client on one server. */
function spreadHint(ctx: RunContext): string {
  const a = ctx.affinity;
  if (a?.kind === 'source') {
    return `${a.reason}: connect from more client addresses (--source-range CIDR; ${ctx.sources.count('old')} used)`;
  }
  if (a) return `${a.reason}: this service cannot be tested from clients`;
  return 'check the weights and the real servers given (--real), or give more --connections';
}
