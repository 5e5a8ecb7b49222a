import type { PhaseId } from './report/types.js';

/** What runDrainTest tells while it runs; the CLI prints these on stderr. */
export interface ProgressEvent {
  phase: PhaseId;
  /** 'start' of a phase, its 'end', or a 'note' inside it. */
  kind: 'start' | 'end' | 'note' | 'warn';
  message: string;
  atMs: number;
}
