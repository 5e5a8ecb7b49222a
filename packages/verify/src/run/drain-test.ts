/**
 * The drain acceptance test, phase by phase: preflight, spread, drain, hold, new connections, restore,
 * cleanup. Each check lives in the run/ file named after its id; this module only runs them in order,
 * turns what stopped the run into the report's `error`, and makes sure the weight goes back on every
 * way out. Whether it must is answered by one DrainState, not by flags spread over this function.
 */
import type { DirectorState } from '@lvs-drain-kit/drivers';
import { Journal } from '../journal.js';
import { markStalledTimeouts } from '../measure/overload.js';
import { type DrainTestOptions, resolveOptions } from '../options.js';
import { runErrorOf } from '../report/run-error.js';
import type { CheckResult, DrainReport, Verdict, VerifierReport } from '../report/types.js';
import { VERSION } from '../version.js';
import { closeAll } from './close-all.js';
import { RunContext } from './context.js';
import { DrainNotAppliedError, drain } from './drain.js';
import { DrainState } from './drain-state.js';
import { identityAgrees, identityReport } from './identity-agrees.js';
import { newConnectionsAvoidDrained } from './new-connections-avoid-drained.js';
import { newConnectionsReturn } from './new-connections-return.js';
import { holdThroughDrain } from './old-connections-survive.js';
import { persistenceTemplates } from './persistence-templates.js';
import { preflight } from './preflight.js';
import { restore, skipRestore } from './restore.js';
import { reportReusedPortsAfterRestore, reusedSourcePort } from './reused-source-port.js';
import { spread } from './spread.js';
import { markChecksAfterDrift, watchWeight, weightDriftError, weightUnchangedVerdict } from './weight-unchanged.js';

/**
 * Runs the test and always returns a report; the original weight is put back on every way out
 * (unless `restore: false`). SIGINT/SIGTERM reach it as `options.signal`: the running phase throws,
 * and the `finally` below restores before the report is written.
 */
export async function runDrainTest(options: DrainTestOptions): Promise<DrainReport> {
  const o = resolveOptions(options);
  const ctx = new RunContext(o);
  const startedAt = new Date();
  const journal = new Journal(o.journalPath);
  const state = new DrainState();
  let director: DirectorState | undefined;
  let originalWeight: number | undefined;
  let error: DrainReport['error'];

  try {
    o.signal?.throwIfAborted();
    const pre = await preflight(ctx);
    director = pre.director;
    originalWeight = pre.weight ?? o.restoreWeight;
    await spread(ctx);
    await holdThroughDrain(ctx, () => drain(ctx, state, journal, originalWeight));
    await watchWeight(ctx, 'after the hold');
    await newConnectionsAvoidDrained(ctx);
    await reusedSourcePort(ctx);
    await persistenceTemplates(ctx);
    if (o.restore) {
      await restore(ctx, state, journal);
      weightUnchangedVerdict(ctx);
      await newConnectionsReturn(ctx);
      reportReusedPortsAfterRestore(ctx);
    } else {
      await watchWeight(ctx, 'at the end');
      weightUnchangedVerdict(ctx);
      await skipRestore(ctx, state, journal);
      ctx.check('new-connections-return', 'skip', '--no-restore');
    }
  } catch (err) {
    error = stoppedBy(err, state);
  } finally {
    // A failure or a signal stopped the run with the server drained: put the weight back first.
    if (o.restore && state.mustRestore) {
      try {
        await restore(ctx, state, journal);
      } catch (err) {
        error ??= { type: 'RestoreError', message: (err as Error).message, beforeDrain: false };
      }
    }
    // A failed restore outranks whatever stopped the run: it is what the operator must act on.
    if (state.stage === 'restore-failed') {
      error = { type: 'RestoreError', message: `restore failed: ${state.report().error}`, beforeDrain: false };
    }
    // What both identity sources said about every connection so far. A run stopped before the drain
    // lists it only when they disagreed: that may be why the run could not go on.
    const drained = ctx.checks.some((c) => c.id === 'drain');
    if (drained || (ctx.checks.some((c) => c.id === 'spread') && ctx.identity?.ledger.disagreements.length)) {
      identityAgrees(ctx);
    }
    ctx.startPhase('cleanup', `closing ${ctx.old.length} connections`);
    await closeAll(
      ctx.old.map((c) => c.conn),
      Math.min(o.timeoutMs, 1000),
    );
    ctx.endPhase();
  }

  markChecksAfterDrift(ctx);
  // Someone else's weight outranks the restore's refusal it caused and whatever the checks saw.
  if (error?.type !== 'InterruptedError') error = weightDriftError(ctx) ?? error;
  const verifier = verifierReport(ctx);
  return {
    tool: 'lvs-verify',
    version: VERSION,
    verdict: verdictOf(ctx.checks, error),
    ...(error ? { error } : {}),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - ctx.t0),
    vip: ctx.vipText,
    drain: {
      host: o.drain.host,
      port: o.drain.port,
      ...(ctx.drainedName ? { name: ctx.drainedName } : {}),
      ...(originalWeight !== undefined ? { originalWeight } : {}),
    },
    settings: {
      connections: o.connections,
      newConnections: o.newConnections,
      maxLeak: o.maxLeak,
      holdMs: o.holdMs,
      intervalMs: o.intervalMs,
      timeoutMs: o.timeoutMs,
      restoreTimeoutMs: o.restoreTimeoutMs,
      restore: o.restore,
      strict: o.strict,
    },
    driver: { name: o.driver.name, description: o.driver.description },
    ...(ctx.probe ? { probe: { kind: ctx.probe.kind, description: ctx.probe.description } } : {}),
    ...(ctx.identity ? { identity: identityReport(ctx) } : {}),
    ...(director ? { director } : {}),
    phases: ctx.phases,
    checks: ctx.checks,
    servers: [...ctx.servers.values()],
    latency: ctx.latency.report(),
    disruptions: ctx.disruptions.intervals(),
    restore: state.report(),
    verifier,
    timeline: ctx.timeline.report(ctx),
  };
}

/**
 * A failed check is the load balancer's failure and outranks everything but an error that stopped the
 * run; a check that observed nothing makes the run inconclusive, never a pass.
 */
function verdictOf(checks: readonly CheckResult[], error: DrainReport['error']): Verdict {
  if (error) return 'error';
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.some((c) => c.status === 'inconclusive')) return 'inconclusive';
  return 'pass';
}

/**
 * Stops the verifier's self-measurement and marks the timeouts it may have caused itself: a person
 * reading the report can then tell the verifier's slowness from the server's.
 */
function verifierReport(ctx: RunContext): VerifierReport {
  const self = ctx.monitor.stop();
  const stalls = self.stalls.map((s) => ({ startMs: ctx.sinceDrain(s.start), endMs: ctx.sinceDrain(s.end) }));
  let stalledTimeouts = 0;
  for (const check of ctx.checks) {
    if (!check.failures.some((f) => f.class === 'timeout')) continue;
    check.failures = markStalledTimeouts(check.failures, stalls, ctx.options.timeoutMs);
    const n = check.failures.filter((f) => f.verifierStalledMs !== undefined).length;
    if (n === 0) continue;
    stalledTimeouts += n;
    check.message += ` — ${n} of these timeouts came while the verifier's own event loop stood still (verifierStalledMs): they may be the verifier's doing, not the server's`;
  }
  return {
    eventLoopDelay: self.eventLoopDelay,
    perPhase: self.perPhase,
    peakRssBytes: self.peakRssBytes,
    heapUsedBytes: self.heapUsedBytes,
    ...(ctx.holdRounds ? { hold: ctx.holdRounds } : {}),
    stalledTimeouts,
    warnings: [...ctx.verifierWarnings],
  };
}

/**
 * What stopped the run, for the report's `error`; undefined when the drain check failed and stopped it:
 * that is a FAIL verdict, not an error. A spread that cannot be made is an error before the drain (exit 3).
 */
function stoppedBy(err: unknown, state: DrainState): DrainReport['error'] {
  if (err instanceof DrainNotAppliedError) return undefined;
  return runErrorOf(err, !state.drainApplied);
}
