import { formatHostPort } from '@lvs-drain-kit/common';
import pRetry from 'p-retry';
import type { DirectorState, ServiceRef } from '../drivers/types.js';
import { EnvironmentError, RestoreError } from '../errors.js';
import { Journal, type JournalEntry } from '../journal.js';
import { markStalledTimeouts } from '../measure/overload.js';
import { type DrainTestOptions, resolveOptions } from '../options.js';
import type { DrainReport, VerifierReport } from '../report/types.js';
import { VERSION } from '../version.js';
import { closeAll } from './close-all.js';
import { RunContext } from './context.js';
import { newConnectionsAvoidDrained } from './new-connections-avoid-drained.js';
import { newConnectionsReturn } from './new-connections-return.js';
import { oldConnectionsSurvive } from './old-connections-survive.js';
import { preflight } from './preflight.js';
import { reusedSourcePort } from './reused-source-port.js';
import { SpreadError, spread } from './spread.js';

/** The director still reports the old weight after the drain: a failed check, not an environment error. */
class DrainNotAppliedError extends Error {
  override name = 'DrainNotAppliedError';
}

/**
 * The drain acceptance test: preflight, spread, drain, hold, new connections, restore, cleanup.
 * Always returns a report; the original weight is put back on every way out (unless `restore: false`).
 */
export async function runDrainTest(options: DrainTestOptions): Promise<DrainReport> {
  const o = resolveOptions(options);
  const ctx = new RunContext(o);
  const startedAt = new Date();
  const journal = new Journal(o.journalPath);
  const service: ServiceRef = { vip: o.vip };
  let director: DirectorState | undefined;
  let originalWeight: number | undefined;
  let entry: JournalEntry | undefined;
  let drainTouched = false;
  let drainFailed = false;
  let restored = false;
  const restoreInfo: DrainReport['restore'] = { attempted: false, restored: false };
  let error: DrainReport['error'];

  const restore = async (): Promise<void> => {
    if (originalWeight === undefined) return;
    const weight = originalWeight;
    restoreInfo.attempted = true;
    restoreInfo.weight = weight;
    restoreInfo.manualCommand = o.driver.manualCommand(service, o.drain, weight);
    ctx.startPhase('restore', `putting ${ctx.drainedName || formatHostPort(o.drain)} back to weight ${weight}`);
    const started = performance.now();
    try {
      await pRetry(
        async () => {
          await o.driver.setWeight(service, o.drain, weight);
          const back = await o.driver.getWeight(service, o.drain);
          if (back !== undefined && back !== weight)
            throw new Error(`the director reports weight ${back}, not ${weight}`);
          const s = ctx.server(ctx.drainedName);
          if (s) s.weightAfter = back;
        },
        { retries: 2, minTimeout: 200, maxTimeout: 1000 },
      );
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      restoreInfo.error = msg;
      ctx.check(
        'restore',
        'fail',
        `could not put weight ${weight} back: ${msg}. Run by hand: ${restoreInfo.manualCommand}`,
        [],
        started,
      );
      throw new RestoreError(`restore failed: ${msg}`, restoreInfo.manualCommand);
    }
    restored = true;
    restoreInfo.restored = true;
    if (entry) await journal.remove(entry.id);
    ctx.check('restore', 'pass', `weight ${weight} put back (${o.driver.description})`, [], started);
  };

  try {
    o.signal?.throwIfAborted();
    const pre = await preflight(ctx);
    director = pre.director;
    originalWeight = pre.weight ?? o.restoreWeight;
    await spread(ctx, pre.weight);

    ctx.startPhase('drain', `setting ${ctx.drainedName} (${formatHostPort(o.drain)}) to weight 0`);
    if (originalWeight === undefined) {
      throw new EnvironmentError(`${o.driver.description} cannot read the current weight: give --restore-weight`);
    }
    const started = performance.now();
    entry = await journal.add({
      vip: o.vip,
      real: { host: o.drain.host, port: o.drain.port },
      originalWeight,
      ...(o.driverSpec ? { driverSpec: o.driverSpec } : {}),
      driverDescription: o.driver.description,
      manualCommand: o.driver.manualCommand(service, o.drain, originalWeight),
    });
    try {
      await o.driver.setWeight(service, o.drain, 0);
    } catch (err) {
      // Nothing was drained as far as we know (exit 3), but a command may have half-run: restore anyway.
      drainFailed = true;
      ctx.check(
        'drain',
        'fail',
        `the driver could not set weight 0: ${err instanceof Error ? err.message : String(err)}`,
        [],
        started,
      );
      throw err;
    }
    drainTouched = true;
    ctx.drainAt = performance.now();
    const back = await o.driver.getWeight(service, o.drain).catch(() => undefined);
    const target = ctx.server(ctx.drainedName);
    if (target && back !== undefined) target.weightDuringDrain = back;
    if (back !== undefined && back !== 0) {
      const msg = `the director still reports weight ${back} for ${ctx.drainedName} after the drain`;
      ctx.check('drain', 'fail', msg, [], started);
      throw new DrainNotAppliedError(msg);
    }
    ctx.check(
      'drain',
      'pass',
      `${ctx.drainedName} weight ${originalWeight} → 0${back === undefined ? ' (the driver cannot read it back)' : ', read back 0'}`,
      [],
      started,
    );

    await oldConnectionsSurvive(ctx);
    await newConnectionsAvoidDrained(ctx);
    await reusedSourcePort(ctx);

    if (o.restore) {
      await restore();
      await newConnectionsReturn(ctx);
    } else {
      if (entry) await journal.update(entry.id, { keptDrained: true });
      const cmd = o.driver.manualCommand(service, o.drain, originalWeight);
      ctx.check('restore', 'skip', `--no-restore: ${ctx.drainedName} left at weight 0; \`lvs-verify undo\` or: ${cmd}`);
      ctx.check('new-connections-return', 'skip', '--no-restore');
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    if (!(err instanceof SpreadError || err instanceof DrainNotAppliedError)) {
      error = { type: e.name, message: e.message, beforeDrain: !drainTouched };
      const detail = (e as { detail?: unknown }).detail;
      if (typeof detail === 'string' && detail.length > 0) error.detail = detail;
      if (e.name === 'InterruptedError') error.signal = (e as { signal?: string }).signal;
    }
  } finally {
    if ((drainTouched || drainFailed) && !restored && o.restore && !restoreInfo.attempted) {
      try {
        await restore();
      } catch (err) {
        error ??= { type: 'RestoreError', message: (err as Error).message, beforeDrain: false };
      }
    }
    if (restoreInfo.attempted && !restoreInfo.restored && error?.type !== 'RestoreError') {
      error = { type: 'RestoreError', message: `restore failed: ${restoreInfo.error}`, beforeDrain: false };
    }
    ctx.startPhase('cleanup', `closing ${ctx.old.length} connections`);
    await closeAll(
      ctx.old.map((c) => c.conn),
      Math.min(o.timeoutMs, 1000),
    );
    ctx.endPhase();
  }

  const verifier = verifierReport(ctx);
  const failed = ctx.checks.some((c) => c.status === 'fail');
  return {
    tool: 'lvs-verify',
    version: VERSION,
    verdict: error ? 'error' : failed ? 'fail' : 'pass',
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
      holdMs: o.holdMs,
      intervalMs: o.intervalMs,
      timeoutMs: o.timeoutMs,
      restoreTimeoutMs: o.restoreTimeoutMs,
      restore: o.restore,
      strict: o.strict,
    },
    driver: { name: o.driver.name, description: o.driver.description },
    ...(director ? { director } : {}),
    phases: ctx.phases,
    checks: ctx.checks,
    servers: [...ctx.servers.values()],
    latency: ctx.latency.report(),
    disruptions: ctx.disruptions.intervals(),
    restore: restoreInfo,
    verifier,
  };
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
