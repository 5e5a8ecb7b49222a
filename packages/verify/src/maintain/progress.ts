/** What maintain, drain and undrain tell while they run; the CLI prints these on stderr. */
export interface MaintainProgress {
  /** The server the line is about, when it is about one. */
  server?: string;
  /** The step: preflight, sampler, capacity, drain, wait-empty, exec, healthy, restore, return, done. */
  step: string;
  kind: 'start' | 'note' | 'warn';
  message: string;
  /** Milliseconds since the run started. */
  atMs: number;
}
