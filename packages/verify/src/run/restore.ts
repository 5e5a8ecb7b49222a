/**
 * The `restore` check: the drained server gets its original weight back. This is the one place that
 * happens in a run — at the end of a normal run, and from drain-test.ts's `finally` when a failure or
 * SIGINT/SIGTERM (the abort signal) stopped it with the server drained. `undo` uses the same
 * setWeightVerified for drains a run could not put back.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { RestoreError } from '../errors.js';
import type { Journal } from '../journal.js';
import type { RunContext } from './context.js';
import type { DrainState } from './drain-state.js';
import { restoreWeightFor, setWeightVerified } from './set-weight-verified.js';
import { DRAINED_WEIGHT, watchWeight } from './weight-unchanged.js';

/**
 * Puts the original weight back and reads it back; on success the journal forgets the drain. On
 * failure the journal keeps it (for `undo`) and a RestoreError carries the command to run by hand.
 * Only the weight this run set is written over: one someone else changed meanwhile is left as it is
 * (a RestoreError: a person decides). Deliberately deaf to the abort signal: a second Ctrl-C must not
 * stop the weight going back.
 */
export async function restore(ctx: RunContext, state: DrainState, journal: Journal): Promise<void> {
  const o = ctx.options;
  const service = { vip: o.vip };
  const { weight, entry } = state.origin!;
  const setTo = restoreWeightFor(weight);
  const what = weight !== undefined ? `weight ${weight}` : 'the server';
  const manualCommand = o.driver.manualCommand(service, o.drain, setTo);
  state.restoreStarted(manualCommand);
  ctx.startPhase(
    'restore',
    `putting ${ctx.drainedName || formatHostPort(o.drain)} back${weight !== undefined ? ` to weight ${weight}` : ''}`,
  );
  const started = performance.now();
  // A drain the director never took (it failed, or 0 never read back) set nothing someone else could change.
  const tookZero = (ctx.server(ctx.drainedName)?.weightDuringDrain ?? DRAINED_WEIGHT) === DRAINED_WEIGHT;
  const current = state.drainApplied && tookZero ? await watchWeight(ctx, 'before the restore') : undefined;
  if (current !== undefined && current !== DRAINED_WEIGHT) {
    const msg = `${ctx.drainedName}'s weight is ${current}, not the ${DRAINED_WEIGHT} this run set: someone else changed it, so it is left as it is`;
    state.restoreFailed(msg);
    await journal.remove(entry.id);
    ctx.check('restore', 'fail', `${msg}. Decide; to put ${what} back anyway: ${manualCommand}`, [], started);
    throw new RestoreError(msg, manualCommand);
  }
  try {
    const { readBack, setAt } = await setWeightVerified(o.driver, service, o.drain, setTo);
    ctx.timeline.restored(setAt);
    const s = ctx.server(ctx.drainedName);
    if (s) s.weightAfter = readBack;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    state.restoreFailed(msg);
    ctx.check('restore', 'fail', `could not put ${what} back: ${msg}. Run by hand: ${manualCommand}`, [], started);
    throw new RestoreError(`restore failed: ${msg}`, manualCommand);
  }
  state.restoreSucceeded();
  await journal.remove(entry.id);
  const ran = o.driver.describeChange?.(service, o.drain, setTo) ?? o.driver.description;
  ctx.check('restore', 'pass', `${what} put back (${ran})`, [], started);
}

/**
 * `--no-restore`: the server stays at weight 0, marked on the journal so `undo` can still put it back —
 * unless the last read found someone else's weight: then nothing of this run's is left on the director,
 * and an `undo` later would write over the other party's value, so the journal forgets the drain.
 */
export async function skipRestore(ctx: RunContext, state: DrainState, journal: Journal): Promise<void> {
  const o = ctx.options;
  const { weight, entry } = state.origin!;
  state.keptDrained();
  const now = ctx.weightWatch.reads.at(-1)?.weight;
  if (now !== undefined && now !== DRAINED_WEIGHT) {
    await journal.remove(entry.id);
    ctx.check(
      'restore',
      'skip',
      `--no-restore: ${ctx.drainedName}'s weight is ${now}, set by someone else (see weight-unchanged), not the ${DRAINED_WEIGHT} this run set: left as it is, nothing for \`lvs-verify undo\``,
    );
    return;
  }
  await journal.update(entry.id, { keptDrained: true });
  const cmd = o.driver.manualCommand({ vip: o.vip }, o.drain, restoreWeightFor(weight));
  ctx.check('restore', 'skip', `--no-restore: ${ctx.drainedName} left at weight 0; \`lvs-verify undo\` or: ${cmd}`);
}
