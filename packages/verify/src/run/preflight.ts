/**
 * The `preflight` check: everything that must hold before the run changes anything on the director.
 * A failure here is an environment verdict (exit 3), never a load-balancer FAIL.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { type DirectorState, isListedAs } from '@lvs-drain-kit/drivers';
import { EnvironmentError, UsageError } from '../errors.js';
import type { RealSpec } from '../options.js';
import { ConnectFailure, ProbeConnection } from '../probe/connection.js';
import { clientAffinity, sourcesNeeded } from './client-affinity.js';
import { ClientSources, foreignSources } from './client-sources.js';
import type { RunContext } from './context.js';

/** Thrown when preflight fails: the report marks `preflight` failed, the CLI exits 3. */
export class PreflightError extends EnvironmentError {
  override name = 'PreflightError';
}

/**
 * Every real server answers directly with the expected reply (learning its name), the driver can read
 * the director, the drain target is one of the real servers and not already at weight 0. Returns the
 * target's weight.
 */
export async function preflight(ctx: RunContext): Promise<{ director: DirectorState; weight: number | undefined }> {
  const o = ctx.options;
  const started = performance.now();
  ctx.startPhase('preflight', `checking ${o.reals.length} real servers and the director (${o.driver.description})`);
  refuseUntestable(ctx);
  const target = o.reals.find((r) => r.host === o.drain.host && r.port === o.drain.port);
  if (!target) {
    const msg = `drain target ${formatHostPort(o.drain)} is not one of the real servers (${o.reals.map(formatHostPort).join(', ')})`;
    ctx.check('preflight', 'fail', msg);
    throw new PreflightError(msg);
  }
  const names = new Map<string, string>();
  for (const real of o.reals) {
    const where = formatHostPort(real);
    let name: string;
    try {
      name = await learnName(ctx, real);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      ctx.check('preflight', 'fail', msg);
      throw new PreflightError(msg);
    }
    const other = names.get(name);
    if (other) {
      const msg = `real servers ${other} and ${where} both answer "${name}": replies could not tell them apart`;
      ctx.check('preflight', 'fail', msg);
      throw new PreflightError(msg);
    }
    names.set(name, where);
    ctx.addServer(name, real.host, real.port);
  }

  let director: DirectorState;
  let weight: number | undefined;
  try {
    director = await o.driver.inspect({ vip: o.vip });
    weight = await o.driver.getWeight({ vip: o.vip }, o.drain);
  } catch (err) {
    const msg = `cannot read the director (${o.driver.description}): ${err instanceof Error ? err.message : String(err)}`;
    ctx.check('preflight', 'fail', msg);
    throw err instanceof EnvironmentError ? err : new PreflightError(msg);
  }
  for (const s of ctx.servers.values()) {
    const d = director.servers.find((x) => isListedAs(x, s));
    if (d) s.weightBefore = d.weight;
  }
  const targetServer = ctx.server(ctx.drainedName);
  if (targetServer && weight !== undefined) targetServer.weightBefore = weight;
  if (weight === 0) {
    // Nothing to test, and nothing this run may change: refused like any other setup it cannot test.
    const msg = `${ctx.drainedName} already has weight 0 on the director: there is nothing to drain (run \`lvs-verify undo\` or restore it first)`;
    ctx.check('preflight', 'fail', msg);
    throw new PreflightError(msg);
  }
  if (director.servers.length > 0) {
    const missing = [...ctx.servers.values()].filter((s) => s.weightBefore === undefined);
    if (missing.some((s) => s.drained)) {
      const msg = `the director has no real server ${formatHostPort(o.drain)} in service ${ctx.vipText}`;
      ctx.check('preflight', 'fail', msg);
      throw new PreflightError(msg);
    }
    for (const s of missing)
      ctx.progress('preflight', 'warn', `the director does not list ${s.name} (${s.host}:${s.port})`);
  }
  for (const w of director.warnings ?? []) ctx.progress('preflight', 'warn', w);
  const scheduling = await checkScheduling(ctx, director);
  const learned = [...ctx.servers.values()].map((s) => `${s.name}=${s.host}:${s.port}`).join(', ');
  ctx.check(
    'preflight',
    'pass',
    `${ctx.servers.size} real servers answer (${learned}); director readable${weight !== undefined ? `, ${ctx.drainedName} has weight ${weight}` : ''}${scheduling}`,
    [],
    started,
  );
  return { director, weight };
}

/**
 * The director's scheduler and persistence, and whether the run's client addresses can test them: on a
 * service that keeps a client on one server, one address cannot (exit 3, naming --source-range). On a
 * persistent service old, new and return connections get client addresses of their own. Returns the
 * words for the preflight line.
 */
async function checkScheduling(ctx: RunContext, director: DirectorState): Promise<string> {
  const addresses = ctx.options.clientAddresses;
  const foreign = await foreignSources(addresses);
  if (foreign.length > 0) {
    const msg = `client address${foreign.length > 1 ? 'es' : ''} ${foreign.slice(0, 4).join(', ')}${foreign.length > 4 ? ' …' : ''} not on this host: a connection cannot come from ${foreign.length > 1 ? 'them' : 'it'} (add them to an interface, or give this host's with --source/--source-range)`;
    ctx.check('preflight', 'fail', msg);
    throw new PreflightError(msg);
  }
  const a = clientAffinity(director);
  ctx.affinity = a;
  ctx.sources = new ClientSources(addresses, a?.persistent !== undefined);
  const from = addresses.length > 0 ? `; ${addresses.length} client addresses` : '';
  const words = `${director.scheduler ? `; scheduler ${director.scheduler}` : ''}${director.persistent !== undefined ? `, persistent ${director.persistent} s` : ''}${from}`;
  if (!a) return words;
  if (a.kind === 'destination') {
    const msg = `${a.reason}: spread and a drain cannot be shown from clients of ${ctx.vipText}; test a service with another scheduler`;
    ctx.check('preflight', 'fail', msg);
    throw new PreflightError(msg);
  }
  const needed = sourcesNeeded(a);
  if (addresses.length < needed) {
    const msg = `${a.reason}: from ${addresses.length < 2 ? 'one client address' : `${addresses.length} client addresses`} the run cannot test the drain; connect from at least ${needed} (--source-range CIDR, or --source ADDR repeated, with addresses of this host)`;
    ctx.check('preflight', 'fail', msg);
    throw new PreflightError(msg);
  }
  return words;
}

/**
 * What is known before a single connection: the probes speak TCP, and a weight the restore needs must be
 * readable or given. A service of another protocol is an environment verdict (exit 3); a missing
 * --restore-weight a usage error (exit 2).
 */
function refuseUntestable(ctx: RunContext): void {
  const o = ctx.options;
  const d = o.driver;
  if (d.protocol !== undefined && d.protocol !== 'tcp') {
    const msg = `drain-test probes TCP only: it cannot test the ${d.protocol.toUpperCase()} service ${ctx.vipText} (${d.description}); test a TCP service of this director`;
    ctx.check('preflight', 'fail', msg);
    throw new PreflightError(msg);
  }
  if (d.readsWeight === false && d.restoreNeedsWeight !== false && o.restoreWeight === undefined) {
    throw new UsageError(
      `${d.description} cannot read the current weight and puts a weight back: give --restore-weight N (the weight to restore)`,
    );
  }
}

/**
 * Asks a real server directly who it is. A given name is checked where the server is reachable and
 * trusted where it is not (NAT: only the director reaches the real servers).
 */
async function learnName(ctx: RunContext, real: RealSpec): Promise<string> {
  const o = ctx.options;
  const where = formatHostPort(real);
  let conn: ProbeConnection;
  try {
    conn = await ProbeConnection.open({ host: real.host, port: real.port, timeoutMs: o.timeoutMs });
  } catch (err) {
    if (!(err instanceof ConnectFailure)) throw err;
    if (real.name === undefined) {
      throw new Error(
        `cannot reach real server ${where} directly: ${err.message} (if only the director reaches it, as with NAT, give --real ${where}=NAME)`,
      );
    }
    ctx.progress(
      'preflight',
      'warn',
      `${where} is not reachable directly (${err.message}): trusting the name "${real.name}"`,
    );
    return real.name;
  }
  const ex = await conn.ask('hello', undefined, o.timeoutMs);
  await conn.shutdown(o.timeoutMs);
  if (!ex.ok) throw new Error(`real server ${where} did not answer with a reply line (${ex.class}: ${ex.detail})`);
  if (real.name !== undefined && real.name !== ex.host) {
    ctx.progress(
      'preflight',
      'warn',
      `${where} calls itself "${ex.host}", given as "${real.name}": using "${ex.host}"`,
    );
  }
  return ex.host;
}
