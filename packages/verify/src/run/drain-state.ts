/**
 * Where the drained server stands during a run, in one place: is it drained, was the restore tried,
 * did it work. A small state machine: drain.ts and restore.ts move it forward, drain-test.ts asks it
 * whether the weight must still go back, and the report's `restore` section is read from it.
 */
import type { JournalEntry } from '../journal.js';
import type { DrainReport } from '../report/types.js';

export type DrainStage =
  /** Nothing sent to the director yet. */
  | 'untouched'
  /** The drain command failed. It may have half-run, so the original weight still goes back. */
  | 'drain-failed'
  /** The director took weight 0 (whether it also reads back 0 is the drain check's business). */
  | 'drained'
  /** `--no-restore`: left at weight 0 on purpose, on the journal for `lvs-verify undo`. */
  | 'kept-drained'
  | 'restoring'
  | 'restored'
  /** The original weight could not be put back: exit 4, the manual command, the journal keeps the drain. */
  | 'restore-failed';

/** The only moves a run makes; anything else is a bug in the run, not a state of the director. */
const NEXT: Readonly<Record<DrainStage, readonly DrainStage[]>> = {
  untouched: ['drain-failed', 'drained'],
  'drain-failed': ['restoring'],
  drained: ['restoring', 'kept-drained'],
  'kept-drained': [],
  restoring: ['restored', 'restore-failed'],
  restored: [],
  'restore-failed': [],
};

/** What a drain changed: the weight to put back and the journal entry that records it for `undo`. */
export interface DrainOrigin {
  /** Unknown where the driver cannot read it and its way back needs none (a command without {weight}). */
  weight: number | undefined;
  entry: JournalEntry;
}

export class DrainState {
  #path: DrainStage[] = ['untouched'];
  #origin: DrainOrigin | undefined;
  #manualCommand: string | undefined;
  #restoreError: string | undefined;

  get stage(): DrainStage {
    return this.#path[this.#path.length - 1]!;
  }

  /** Every stage so far, first to current. */
  get path(): readonly DrainStage[] {
    return this.#path;
  }

  /** The original weight and journal entry, from the moment a drain was sent. */
  get origin(): DrainOrigin | undefined {
    return this.#origin;
  }

  /** A drain was sent and nothing has tried to put the weight back yet. */
  get mustRestore(): boolean {
    return this.stage === 'drained' || this.stage === 'drain-failed';
  }

  /** The director took weight 0 at some point of this run: an error after this is not "before the drain". */
  get drainApplied(): boolean {
    return this.#path.includes('drained');
  }

  drainSucceeded(origin: DrainOrigin): void {
    this.#move('drained');
    this.#origin = origin;
  }

  drainFailed(origin: DrainOrigin): void {
    this.#move('drain-failed');
    this.#origin = origin;
  }

  keptDrained(): void {
    this.#move('kept-drained');
  }

  /** `manualCommand`: what an operator runs if this restore fails. */
  restoreStarted(manualCommand: string): void {
    this.#move('restoring');
    this.#manualCommand = manualCommand;
  }

  restoreSucceeded(): void {
    this.#move('restored');
  }

  restoreFailed(error: string): void {
    this.#move('restore-failed');
    this.#restoreError = error;
  }

  /** The report's `restore` section. */
  report(): DrainReport['restore'] {
    const attempted = this.#path.includes('restoring');
    if (!attempted) return { attempted, restored: false };
    return {
      attempted,
      restored: this.stage === 'restored',
      weight: this.#origin!.weight,
      manualCommand: this.#manualCommand!,
      ...(this.#restoreError !== undefined ? { error: this.#restoreError } : {}),
    };
  }

  #move(to: DrainStage): void {
    const from = this.stage;
    if (!NEXT[from].includes(to)) throw new Error(`drain state: cannot go from ${from} to ${to}`);
    this.#path.push(to);
  }
}
