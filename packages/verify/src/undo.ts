/**
 * `lvs-verify undo`: puts back the drains the journal still lists — a run that was killed, or one kept
 * drained with --no-restore. Sets the weight through the same setWeightVerified as a run's restore.
 */
import { readFile } from 'node:fs/promises';
import { formatHostPort } from '@lvs-drain-kit/common';
import { createDriver, parseDriverSpec } from '@lvs-drain-kit/drivers';
import { Journal, type JournalEntry } from './journal.js';
import { setWeightVerified } from './run/set-weight-verified.js';

export interface UndoResult {
  restored: JournalEntry[];
  failed: Array<{ entry: JournalEntry; error: string }>;
  /** Drains of a verifier that still runs: it restores them itself. */
  skipped: JournalEntry[];
}

/** Puts back every drain the journal still lists; entries that cannot be restored stay, with their manual command. */
export async function undoDrains(
  options: { journalPath?: string; onLine?: (line: string) => void } = {},
): Promise<UndoResult> {
  const journal = new Journal(options.journalPath);
  const say = options.onLine ?? (() => {});
  const result: UndoResult = { restored: [], failed: [], skipped: [] };
  const entries = await journal.entries();
  if (entries.length === 0) say('nothing to undo: the journal lists no drained server');
  for (const e of entries) {
    const what = `${formatHostPort(e.real)} in ${formatHostPort(e.vip)} (drained ${e.drainedAt}${e.keptDrained ? ', --no-restore' : ''})`;
    if (e.pid !== process.pid && (await isVerifierRunning(e.pid))) {
      result.skipped.push(e);
      say(`skipped ${what}: lvs-verify pid ${e.pid} is still running that test and will restore it itself`);
      continue;
    }
    if (!e.driverSpec) {
      result.failed.push({ entry: e, error: 'the journal has no driver description' });
      say(`cannot restore ${what} automatically; run by hand: ${e.manualCommand}`);
      continue;
    }
    try {
      // The journal is a file: its spec is checked like any other input before a driver is built from it.
      const driver = await createDriver(await parseDriverSpec(e.driverSpec));
      await setWeightVerified(driver, { vip: e.vip }, e.real, e.originalWeight);
      await journal.remove(e.id);
      result.restored.push(e);
      say(`restored ${what} to weight ${e.originalWeight} (${driver.description})`);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      result.failed.push({ entry: e, error: msg });
      say(`FAILED to restore ${what}: ${msg}\n  run by hand: ${e.manualCommand}`);
    }
  }
  return result;
}

/** A drain whose verifier still runs is that verifier's to restore: undo must not pull the weight under it. */
async function isVerifierRunning(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('lvs-verify');
  } catch {
    return false;
  }
}
