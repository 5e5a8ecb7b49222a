import type { DrainDriver, DriverSpec, RealServerRef } from '@lvs-drain-kit/drivers';
import type { IdentityMode } from './probe/identity.js';
import type { ProbeSpec } from './probe/spec.js';
import type { ProgressEvent } from './progress.js';

/** A real server as given: `HOST:PORT[=NAME]`; the name is learned by asking it when not given. */
export interface RealSpec extends RealServerRef {
  name?: string;
}

/** Everything `runDrainTest` needs. Durations are in milliseconds. */
export interface DrainTestOptions {
  vip: RealServerRef;
  reals: RealSpec[];
  /** The real server to drain; must be one of `reals`. */
  drain: RealServerRef;
  /** The driver instance (tests inject real-engine drivers, or broken ones for negative controls). */
  driver: DrainDriver;
  /** How to rebuild the driver later: written to the journal so `lvs-verify undo` can restore. */
  driverSpec?: DriverSpec;
  /** How the run talks to the service: rs-server's line protocol (the default), HTTP, or any TCP service. */
  probe?: ProbeSpec;
  /**
   * Where a connection's server is known from: the service's answers, the director's connection table,
   * or both, cross-checked. Default `both` where the probe's answers name the server and the driver
   * lists connections, else whichever of them can.
   */
  identity?: IdentityMode;
  /** Old connections held through the drain. Default 8. */
  connections?: number;
  /** Fresh connections opened after the drain. Default 16. */
  newConnections?: number;
  /** How long old connections keep talking after the drain. Default 5 s. */
  holdMs?: number;
  /** Pause between lines on each old connection. Default 200 ms. */
  intervalMs?: number;
  /** Per reply (and per connect). Default 2 s. */
  timeoutMs?: number;
  /** How long new connections may take to reach the server again after the restore. Default 10 s. */
  restoreTimeoutMs?: number;
  /** The weight to put back where the driver cannot read the current one (a command driver without --get-cmd). */
  restoreWeight?: number;
  /** Put the original weight back at the end. Default true. */
  restore?: boolean;
  /** The reused-source-port probe fails instead of warning. */
  strict?: boolean;
  /** Journal file; default `defaultJournalPath()` (root: /var/lib/lvs-drain-kit/journal.json). */
  journalPath?: string;
  /** Phase lines and notes while running (the CLI writes them to stderr). */
  onProgress?: (event: ProgressEvent) => void;
  /** Abort (SIGINT/SIGTERM): stop, restore, and report. */
  signal?: AbortSignal;
}

export const DEFAULTS = {
  connections: 8,
  newConnections: 16,
  holdMs: 5000,
  intervalMs: 200,
  timeoutMs: 2000,
  restoreTimeoutMs: 10_000,
} as const;

export type ResolvedOptions = Required<
  Pick<
    DrainTestOptions,
    'connections' | 'newConnections' | 'holdMs' | 'intervalMs' | 'timeoutMs' | 'restoreTimeoutMs' | 'restore' | 'strict'
  >
> &
  DrainTestOptions;

export function resolveOptions(o: DrainTestOptions): ResolvedOptions {
  return {
    ...o,
    connections: o.connections ?? DEFAULTS.connections,
    newConnections: o.newConnections ?? DEFAULTS.newConnections,
    holdMs: o.holdMs ?? DEFAULTS.holdMs,
    intervalMs: o.intervalMs ?? DEFAULTS.intervalMs,
    timeoutMs: o.timeoutMs ?? DEFAULTS.timeoutMs,
    restoreTimeoutMs: o.restoreTimeoutMs ?? DEFAULTS.restoreTimeoutMs,
    restore: o.restore ?? true,
    strict: o.strict ?? false,
  };
}
