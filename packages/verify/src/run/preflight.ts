/**
 * The `preflight` check: everything that must hold before the run changes anything on the director.
 * A failure here is an environment verdict (exit 3), never a load-balancer FAIL.
 */
import { formatHostPort, sameHostPort } from '@lvs-drain-kit/common';
import { type DirectorState, isListedAs } from '@lvs-drain-kit/drivers';
import { EnvironmentError, UsageError } from '../errors.js';
import type { RealSpec } from '../options.js';
import { ConnectFailure, type ProbeSession } from '../probe/connection.js';
import { DirectorTable } from '../probe/director-table.js';
import { IdentityLedger, type IdentityPlan, planIdentity } from '../probe/identity.js';
import { createProbe, probeNamesServer } from '../probe/spec.js';
import { clientAffinity, sourcesNeeded } from './client-affinity.js';
import { ClientSources, foreignSources } from './client-sources.js';
import type { RunContext } from './context.js';

/** Thrown when preflight fails: the report marks `preflight` failed, the CLI exits 3. */
export class PreflightError extends EnvironmentError {
  override name = 'PreflightError';
}

/**
 * Where each connection's server will be known from (the probe's answers, the director's table, or
 * both), every real server answers directly (learning its name) unless only the director names
 * servers, the driver can read the director, the drain target is one of the real servers and not
 * already at weight 0. Returns the target's weight.
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
  const plan = await setUpIdentity(ctx);
  const names = new Map<string, string>();
  for (const real of o.reals) {
    const where = formatHostPort(real);
    let name: string;
    try {
      // Only the director names servers: a given name, or the address.
      name = plan.mode === 'director' ? (real.name ?? where) : await learnName(ctx, real);
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
  if (ctx.identity?.table) {
    try {
      await ctx.identity.table.read(performance.now());
    } catch (err) {
      const msg = `cannot read the director's connection table (${plan.director}): ${err instanceof Error ? err.message : String(err)}`;
      ctx.check('preflight', 'fail', msg);
      throw new PreflightError(msg);
    }
  }
  const scheduling = await checkScheduling(ctx, director);
  const learned = [...ctx.servers.values()].map((s) => `${s.name}=${s.host}:${s.port}`).join(', ');
  ctx.check(
    'preflight',
    'pass',
    `${ctx.servers.size} real servers ${plan.mode === 'director' ? 'given' : 'answer'} (${learned}); director readable${weight !== undefined ? `, ${ctx.drainedName} has weight ${weight}` : ''}${scheduling}; ${identityText(plan)}`,
    [],
    started,
  );
  return { director, weight };
}

/** `identity from the director (ipvsadm -L -n -c) and the answers (header X-Served-By), cross-checked` */
export function identityText(plan: IdentityPlan): string {
  if (plan.mode === 'both')
    return `identity from the director (${plan.director}) and the answers (${plan.service}), cross-checked`;
  return plan.mode === 'director'
    ? `identity from the director (${plan.director})`
    : `identity from the answers (${plan.service})`;
}

/**
 * Chooses where identity comes from and makes the probe and the director's table for it; refuses
 * (exit 3) a run that could not know which server holds a connection.
 */
async function setUpIdentity(ctx: RunContext): Promise<IdentityPlan> {
  const o = ctx.options;
  const spec = o.probe ?? { kind: 'line' };
  const table = o.driver.listConnections ? (o.driver.connectionTable ?? o.driver.description) : undefined;
  let plan: IdentityPlan;
  try {
    plan = planIdentity(
      o.identity,
      { probe: spec.kind, names: probeNamesServer(spec) },
      { driver: o.driver.name, table },
    );
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    ctx.check('preflight', 'fail', msg);
    throw new PreflightError(msg);
  }
  ctx.probe = await createProbe(spec, { identify: plan.mode !== 'director', vipText: ctx.vipText });
  if (plan.mode !== 'director') plan.service = ctx.probe.identity;
  const byAddress = (server: { host: string; port: number }) =>
    [...ctx.servers.values()].find((s) => sameHostPort(s, server))?.name ?? formatHostPort(server);
  const list = o.driver.listConnections?.bind(o.driver);
  ctx.identity = {
    plan,
    ...(plan.mode !== 'service' && list ? { table: new DirectorTable(() => list({ vip: o.vip })) } : {}),
    ledger: new IdentityLedger(() => ctx.sinceDrain()),
    nameOf: byAddress,
    lookupMs: o.timeoutMs,
    // Often enough to see a move within the hold, rarely enough to spare a large table: a few reads per hold.
    recheckMs: Math.max(o.intervalMs, Math.min(1000, o.holdMs / 4)),
  };
  ctx.progress('preflight', 'note', `probe ${ctx.probe.description}; ${identityText(plan)}`);
  return plan;
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
  let conn: ProbeSession;
  try {
    conn = await ctx.probe!.open({ host: real.host, port: real.port, timeoutMs: o.timeoutMs });
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
  const ex = await conn.ask('hello', undefined, o.timeoutMs, { last: true });
  await conn.shutdown(o.timeoutMs);
  if (!ex.ok) throw new Error(`real server ${where} did not answer (${ex.class}: ${ex.detail})`);
  if (ex.host === undefined) throw new Error(`real server ${where} answered without naming itself`);
  if (real.name !== undefined && real.name !== ex.host) {
    ctx.progress(
      'preflight',
      'warn',
      `${where} calls itself "${ex.host}", given as "${real.name}": using "${ex.host}"`,
    );
  }
  return ex.host;
}
