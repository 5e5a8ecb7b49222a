/**
 * One server's maintenance: capacity → drain → wait until empty → the work → healthy → restore →
 * new connections reach it again. Whatever stops it once the weight is 0 — a failed step, a driver
 * error, SIGINT/SIGTERM — ends in `finally`, which puts the weight back; the one exception is a server
 * that did not come back healthy after the work: it stays drained (on the journal) rather than be
 * handed clients it cannot serve.
 */
import { formatDuration, formatHostPort } from '@lvs-drain-kit/common';
import { fillPlaceholders } from '@lvs-drain-kit/drivers';
import type { MaintainServerReport } from '../report/maintain-types.js';
import { setWeightVerified, WeightNotAppliedError } from '../run/set-weight-verified.js';
import { CapacityError, checkCapacity } from './capacity.js';
import type { MaintainRun } from './context.js';
import { runExec } from './exec.js';
import type { Sampler } from './sampler.js';
import { waitUntilEmpty } from './wait-empty.js';
import { restoreIfStillOurs } from './weight-guard.js';

/** What this run changed on a server: the weight to put back and its journal entry (if it wrote one). */
export interface Origin {
  weight: number;
  entryId?: string;
}

/** The placeholders of `--exec`. */
export const EXEC_PLACEHOLDERS = ['name', 'rip', 'rport', 'vip', 'vport', 'weight'] as const;

/** Maintains `s`; resolves with whether the run may go on to the next server. */
export async function maintainServer(run: MaintainRun, sampler: Sampler, s: MaintainServerReport): Promise<boolean> {
  const o = run.o;
  const window = sampler.snapshot();
  let origin: Origin | undefined;
  let keepDrained = false;
  s.status = 'failed';
  try {
    let started = performance.now();
    run.progress('capacity', 'start', `re-reading the director before draining ${s.name}`, s.name);
    let weight: number;
    try {
      weight = checkCapacity(await o.driver.inspect(run.service), s, s.name, o.minServing);
    } catch (err) {
      if (!(err instanceof CapacityError)) throw err;
      s.status = 'refused';
      run.step(s, 'capacity', 'fail', err.message, started);
      throw err;
    }
    s.weight = weight;
    run.step(s, 'capacity', 'pass', `${s.name} has weight ${weight}; --min-serving ${o.minServing} holds`, started);

    run.throwIfAborted();
    started = performance.now();
    run.progress('drain', 'start', `setting ${s.name} (${formatHostPort(s)}) to weight 0`, s.name);
    const entry = await run.journalDrain(s, weight);
    origin = { weight, entryId: entry.id };
    run.drainedAny = true;
    let applied: Awaited<ReturnType<typeof setWeightVerified>>;
    try {
      applied = await setWeightVerified(o.driver, run.service, s, 0);
    } catch (err) {
      run.step(s, 'drain', 'fail', `could not set weight 0: ${err instanceof Error ? err.message : err}`, started);
      if (err instanceof WeightNotAppliedError) return false;
      throw err;
    }
    sampler.markDrained(s.name, applied.setAt);
    s.timeline.drainedAtMs = run.now(applied.setAt);
    run.step(s, 'drain', 'pass', `weight ${weight} → 0, read back ${applied.readBack ?? 'n/a'}`, started);

    if (!(await waitEmpty(run, s, applied.setAt, sampler))) return false;

    let workFailed = false;
    started = performance.now();
    if (o.exec) {
      run.throwIfAborted();
      const command = fillPlaceholders(o.exec, {
        name: s.name,
        rip: s.host,
        rport: s.port,
        vip: o.vip.host,
        vport: o.vip.port,
        weight,
      });
      run.progress('exec', 'start', command, s.name);
      const ex = await runExec(command, {
        timeoutMs: o.execTimeoutMs,
        ...(o.signal ? { signal: o.signal } : {}),
        onLine: (line) => run.progress('exec', 'note', `| ${line}`, s.name),
      });
      s.exec = ex;
      s.timeline.workMs = ex.durationMs;
      run.throwIfAborted();
      if (ex.exitCode === 0) run.step(s, 'exec', 'pass', `exit 0 after ${formatDuration(ex.durationMs)}`, started);
      else {
        workFailed = true;
        const how = ex.timedOut
          ? `timed out after ${formatDuration(o.execTimeoutMs)}`
          : ex.exitCode === null
            ? `ended by ${ex.signal ?? 'an error'}`
            : `exit ${ex.exitCode}`;
        run.step(s, 'exec', 'fail', `${how}: ${lastLine(ex.output)}`, started);
      }
    } else run.step(s, 'exec', 'skip', 'no --exec: nothing to run', started);

    started = performance.now();
    const health = await run.waitHealthy(s);
    if (!health.ok) {
      keepDrained = true;
      run.step(
        s,
        'healthy',
        'fail',
        `${s.name} did not answer directly as itself within ${formatDuration(o.healthyTimeoutMs)} (${health.attempts} tries; last: ${health.last}): left drained`,
        started,
      );
      return false;
    }
    s.timeline.healthyAfterMs = health.afterMs;
    run.step(s, 'healthy', 'pass', `answered as ${s.name} after ${formatDuration(health.afterMs)}`, started);

    const back = origin;
    origin = undefined;
    const backAt = await putBack(run, s, back, sampler);
    if (backAt === undefined) return false;

    started = performance.now();
    run.progress('new-connections-return', 'start', `waiting for a new connection to reach ${s.name}`, s.name);
    const at = await sampler.waitForAnswerFrom(s.name, backAt, o.restoreTimeoutMs, o.signal);
    if (Number.isNaN(at)) {
      run.step(
        s,
        'new-connections-return',
        'fail',
        `no new connection through the VIP reached ${s.name} within ${formatDuration(o.restoreTimeoutMs)} of the restore`,
        started,
      );
      return false;
    }
    s.timeline.returnedAfterMs = Math.round(at - backAt);
    run.step(
      s,
      'new-connections-return',
      'pass',
      `a new connection reached ${s.name} ${formatDuration(at - backAt)} after the restore`,
      started,
    );
    if (workFailed) return false;
    s.status = 'done';
    return true;
  } finally {
    if (origin) {
      if (keepDrained) {
        if (origin.entryId) await run.journal.update(origin.entryId, { keptDrained: true });
        s.restore = {
          attempted: false,
          restored: false,
          leftDrained: true,
          manualCommand: o.driver.manualCommand(run.service, s, origin.weight),
        };
        run.progress(
          'restore',
          'warn',
          `${s.name} stays at weight 0: \`lvs-verify undrain ${s.name}\` (or \`lvs-verify undo\`) once it is healthy, or run: ${s.restore.manualCommand}`,
          s.name,
        );
      } else await putBack(run, s, origin, sampler);
    }
    const now = sampler.snapshot();
    s.requests = { sent: now.sent - window.sent, failed: now.failed - window.failed };
  }
}

/** The wait until empty, with its progress lines; resolves with whether the run goes on. */
export async function waitEmpty(run: MaintainRun, s: MaintainServerReport, drainedAt: number, sampler?: Sampler) {
  const o = run.o;
  const started = performance.now();
  const what = o.waitEmpty === 'all' ? 'connection' : 'active connection';
  run.progress(
    'wait-empty',
    'start',
    `waiting until the director holds no ${what} to ${s.name} (timeout ${formatDuration(o.drainTimeoutMs)})`,
    s.name,
  );
  let shown = '';
  let shownAt = 0;
  const w = await waitUntilEmpty({
    driver: o.driver,
    service: run.service,
    real: s,
    mode: o.waitEmpty,
    timeoutMs: o.drainTimeoutMs,
    pollMs: o.pollMs,
    own: () => sampler?.ownActive(s.name) ?? 0,
    retire: () => sampler?.retire(s.name) ?? 0,
    now: () => run.now(),
    ...(o.signal ? { signal: o.signal } : {}),
    onSample: (x, elapsed) => {
      const own = sampler ? ` (${x.own} the sampler's)` : '';
      const line = `${x.remaining} remaining: ${x.active} active${own}, ${x.inactive} inactive`;
      if (line === shown && elapsed - shownAt < 5000) return;
      shown = line;
      shownAt = elapsed;
      run.progress(
        'wait-empty',
        'note',
        `${line} — ${formatDuration(elapsed)} of ${formatDuration(o.drainTimeoutMs)}`,
        s.name,
      );
    },
  });
  const { emptyAfterMs: _, ...report } = w;
  s.waitEmpty = report;
  const closed = w.samplerRetired > 0 ? `; ${w.samplerRetired} of the sampler's own connections closed early` : '';
  const atDrain = w.first ? `${w.first.active} active, ${w.first.inactive} inactive at the drain` : '';
  if (w.emptyAfterMs !== undefined) {
    s.timeline.emptyAfterMs = Math.round(performance.now() - drainedAt);
    run.step(
      s,
      'wait-empty',
      'pass',
      `empty after ${formatDuration(s.timeline.emptyAfterMs)} (${atDrain}${closed})`,
      started,
    );
    return true;
  }
  const last = w.last ? `${w.last.remaining} remaining (${w.last.active} active, ${w.last.inactive} inactive)` : '';
  if (o.onTimeout === 'abort') {
    run.step(
      s,
      'wait-empty',
      'fail',
      `not empty after ${formatDuration(o.drainTimeoutMs)}: ${last}; putting ${s.name} back without the work (--on-timeout abort)`,
      started,
    );
    return false;
  }
  run.step(
    s,
    'wait-empty',
    'warn',
    `not empty after ${formatDuration(o.drainTimeoutMs)}: ${last}; going on with the work anyway (--on-timeout continue)`,
    started,
  );
  return true;
}

/**
 * Puts the original weight back through the guard (only over the 0 this run set) and clears the
 * journal entry; resolves with performance.now() of the restore, or undefined when it did not happen.
 * Deaf to the abort signal: a second Ctrl-C must not stop a weight going back.
 */
export async function putBack(
  run: MaintainRun,
  s: MaintainServerReport,
  origin: Origin,
  sampler?: Sampler,
): Promise<number | undefined> {
  const o = run.o;
  const started = performance.now();
  const manualCommand = o.driver.manualCommand(run.service, s, origin.weight);
  s.restore = { attempted: true, restored: false, manualCommand };
  run.progress('restore', 'start', `putting ${s.name} back to weight ${origin.weight}`, s.name);
  // From the moment the weight may go back, a new connection reaching the server is no longer a leak.
  sampler?.markBack(s.name);
  try {
    const r = await restoreIfStillOurs(o.driver, run.service, s, origin.weight);
    if (!r.restored && r.current !== origin.weight) {
      s.restore.changedTo = r.current;
      // Its weight is someone else's now: `undo` must not overwrite it later either.
      if (origin.entryId) await run.journal.remove(origin.entryId);
      run.step(
        s,
        'restore',
        'fail',
        `not put back: the director has weight ${r.current} for ${s.name}, not the 0 this run set — changed by someone else meanwhile, left as it is`,
        started,
      );
      return undefined;
    }
    if (origin.entryId) await run.journal.remove(origin.entryId);
    s.restore.restored = true;
    const at = r.restored ? r.setAt : performance.now();
    s.timeline.backAtMs = run.now(at);
    run.step(
      s,
      'restore',
      'pass',
      r.restored
        ? `weight ${origin.weight} put back, read back ${r.readBack ?? 'n/a'}`
        : `${s.name} already has its weight ${origin.weight} back`,
      started,
    );
    return at;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    s.restore.error = msg;
    run.step(
      s,
      'restore',
      'fail',
      `could not put weight ${origin.weight} back: ${msg}. Run by hand: ${manualCommand}`,
      started,
    );
    return undefined;
  }
}

function lastLine(output: string): string {
  return output.trimEnd().split('\n').at(-1)?.slice(0, 200) || '(no output)';
}
