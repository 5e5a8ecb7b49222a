import type { LabDriverSpec } from '../lab-info.js';
import type { LabPlan } from '../plan.js';
import type { RecordedProcess } from '../state.js';

/** What every engine gets: the plan, where to put its files, and hooks to record what it starts. */
export interface EngineContext {
  plan: LabPlan;
  stateDir: string;
  cacheDir: string;
  log: (line: string) => void;
  /** Records a process before anything waits on it, so a crash leaves it findable. */
  recordProcess: (p: RecordedProcess) => Promise<void>;
  recordFile: (name: string) => Promise<void>;
}

export interface EngineResult {
  driver: LabDriverSpec;
  details: Record<string, string>;
}

/**
 * A director engine. `prepare` runs before the namespaces exist (downloads, image builds);
 * `start` runs with the bridge and members in place; `describe` reads the director's state for `lab status`.
 */
export interface DirectorEngine {
  tools: ReadonlyArray<{ name: string; hint: string }>;
  /** Real servers in DR mode need the VIP on lo and ARP settings. */
  directRouting: boolean;
  prepare?(ctx: EngineContext): Promise<Record<string, string>>;
  /** Puts a tap for a VM on the bridge. */
  needsTap: boolean;
  /** Starts the director (runs alongside the real servers' start). */
  start(ctx: EngineContext): Promise<EngineResult>;
  describe(ctx: Pick<EngineContext, 'plan' | 'stateDir'>): Promise<string>;
  /**
   * Processes known only from a pid file (a daemon that forked before its PID was recorded, e.g. when
   * `lab up` was killed half-way): `lab down` stops these too.
   */
  pidFiles?(stateDir: string): Array<{ file: string; role: string; cmdlineMarkers: string[] }>;
}
