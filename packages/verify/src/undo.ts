/**
 * `lvs-verify undo`: puts back the drains the journals still list — a run that was killed, or one kept
 * drained with --no-restore. Sets the weight through the same setWeightVerified as a run's restore.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { createDriver, parseDriverSpec } from '@lvs-drain-kit/drivers';
import { isRecordedProcessAlive, Journal, type JournalEntry, journalPaths } from './journal.js';
import { restoreWeightFor, setWeightVerified } from './run/set-weight-verified.js';
import { DRAINED_WEIGHT } from './run/weight-unchanged.js';

export interface UndoResult {
  restored: JournalEntry[];
  failed: Array<{ entry: JournalEntry; error: string }>;
  /** Drains of a verifier that still runs: it restores them itself. */
  skipped: JournalEntry[];
  /** Journals that exist but could not be read (root's, from another account): they may list drains. */
  unreadable: Array<{ path: string; error: string }>;
}

/**
 * Puts back every drain the journals still list (by default the ones `journalPaths` names: root's
 * system-wide one and this account's); entries that cannot be restored stay, with their manual command.
 */
export async function undoDrains(
  options: { journalPath?: string; journalPaths?: string[]; onLine?: (line: string) => void } = {},
): Promise<UndoResult> {
  const paths = options.journalPath ? [options.journalPath] : (options.journalPaths ?? journalPaths());
  const say = options.onLine ?? (() => {});
  const result: UndoResult = { restored: [], failed: [], skipped: [], unreadable: [] };
  let listed = 0;
  for (const path of paths) {
    const journal = new Journal(path);
    let entries: JournalEntry[];
    try {
      entries = await journal.entries();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      result.unreadable.push({ path, error: code });
      say(
        `cannot read the journal ${path} (${code}): ${code === 'EACCES' ? 'it is root’s: run `sudo lvs-verify undo`' : 'check the file'}`,
      );
      continue;
    }
    listed += entries.length;
    for (const e of entries) await undoOne(journal, e, result, say);
  }
  if (listed === 0 && result.unreadable.length === 0)
    say(`nothing to undo: no journal lists a drained server (${paths.join(', ')})`);
  return result;
}

async function undoOne(journal: Journal, e: JournalEntry, result: UndoResult, say: (line: string) => void) {
  const what = `${formatHostPort(e.real)} in ${formatHostPort(e.vip)} (drained ${e.drainedAt}${e.keptDrained ? ', --no-restore' : ''})`;
  if (e.pid !== process.pid && (await isRecordedProcessAlive(e))) {
    result.skipped.push(e);
    say(`skipped ${what}: lvs-verify pid ${e.pid} is still running that test and will restore it itself`);
    return;
  }
  if (!e.driverSpec) {
    result.failed.push({ entry: e, error: 'the journal has no driver description' });
    say(`cannot restore ${what} automatically; run by hand: ${e.manualCommand}`);
    return;
  }
  try {
    // The journal is a file: its spec is checked like any other input before a driver is built from it.
    const driver = await createDriver(await parseDriverSpec(e.driverSpec));
    // Only the weight the run set (0) is put back; one someone else changed since is theirs to keep.
    const current = driver.readsWeight === false ? undefined : await driver.getWeight({ vip: e.vip }, e.real);
    if (current !== undefined && current !== DRAINED_WEIGHT) {
      const error = `its weight is ${current}, not the ${DRAINED_WEIGHT} the run set: someone else changed it, so it is left as it is`;
      await journal.remove(e.id);
      result.failed.push({ entry: e, error });
      say(`left ${what} alone: ${error}\n  decide; to put it back anyway: ${e.manualCommand}`);
      return;
    }
    await setWeightVerified(driver, { vip: e.vip }, e.real, restoreWeightFor(e.originalWeight));
    await journal.remove(e.id);
    result.restored.push(e);
    const to = e.originalWeight !== undefined ? ` to weight ${e.originalWeight}` : '';
    say(`restored ${what}${to} (${driver.description})`);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    result.failed.push({ entry: e, error: msg });
    say(`FAILED to restore ${what}: ${msg}\n  run by hand: ${e.manualCommand}`);
  }
}
