/**
 * The `drain` check: the run's one change to the director, weight 0 for the target. The journal
 * records the drain before it is sent, so `lvs-verify undo` can put it back even if this process dies.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { EnvironmentError } from '../errors.js';
import type { Journal } from '../journal.js';
import type { RunContext } from './context.js';
import type { DrainState } from './drain-state.js';
import { restoreWeightFor, setWeightVerified, WeightNotAppliedError } from './set-weight-verified.js';

/** The director still reports the old weight after the drain: a failed check, not an environment error. */
export class DrainNotAppliedError extends Error {
  override name = 'DrainNotAppliedError';
}

/**
 * Sets the target to weight 0 (inside the `drain` phase, which the hold opens: the old connections
 * are already talking) and moves `state` to `drained` (or `drain-failed`: a command may have
 * half-run, so the restore runs either way). `originalWeight` is what the restore puts back.
 */
export async function drain(
  ctx: RunContext,
  state: DrainState,
  journal: Journal,
  originalWeight: number | undefined,
): Promise<void> {
  const o = ctx.options;
  const service = { vip: o.vip };
  ctx.progress('drain', 'note', `setting ${ctx.drainedName} (${formatHostPort(o.drain)}) to weight 0`);
  if (originalWeight === undefined && o.driver.restoreNeedsWeight !== false) {
    throw new EnvironmentError(`${o.driver.description} cannot read the current weight: give --restore-weight`);
  }
  const started = performance.now();
  const entry = await journal.add({
    vip: o.vip,
    real: { host: o.drain.host, port: o.drain.port },
    ...(originalWeight !== undefined ? { originalWeight } : {}),
    ...(o.driverSpec ? { driverSpec: o.driverSpec } : {}),
    driverDescription: o.driver.description,
    manualCommand: o.driver.manualCommand(service, o.drain, restoreWeightFor(originalWeight)),
  });
  const origin = { weight: originalWeight, entry };
  const target = ctx.server(ctx.drainedName);
  let readBack: number | undefined;
  try {
    const applied = await setWeightVerified(o.driver, service, o.drain, 0, { unreadable: 'unknown' });
    state.drainSucceeded(origin);
    ctx.drainAt = applied.setAt;
    readBack = applied.readBack;
  } catch (err) {
    if (err instanceof WeightNotAppliedError) {
      state.drainSucceeded(origin);
      ctx.drainAt = performance.now();
      if (target) target.weightDuringDrain = err.actual;
      const msg = `the director still reports weight ${err.actual} for ${ctx.drainedName} after the drain`;
      ctx.check('drain', 'fail', msg, [], started);
      throw new DrainNotAppliedError(msg);
    }
    // Nothing was drained as far as we know (exit 3), but a command may have half-run: restore anyway.
    state.drainFailed(origin);
    ctx.check(
      'drain',
      'fail',
      `the driver could not set weight 0: ${err instanceof Error ? err.message : String(err)}`,
      [],
      started,
    );
    throw err;
  }
  if (target && readBack !== undefined) target.weightDuringDrain = readBack;
  ctx.check(
    'drain',
    'pass',
    `${ctx.drainedName} weight ${originalWeight ?? 'unknown'} → 0${readBack === undefined ? ' (the driver cannot read it back)' : ', read back 0'}`,
    [],
    started,
  );
}
