/** The report of `lvs-verify maintain` (and of `drain` / `undrain`), as `--json` prints it. */
import type { DirectorState } from '@lvs-drain-kit/drivers';
import type { CheckStatus, Failure, FailureClass } from './types.js';

export type MaintainStepId =
  | 'capacity'
  | 'drain'
  | 'wait-empty'
  | 'exec'
  | 'healthy'
  | 'restore'
  | 'new-connections-return';

export interface MaintainStep {
  id: MaintainStepId;
  status: CheckStatus;
  message: string;
  /** Since the run started. */
  startMs: number;
  durationMs: number;
}

/** One server's way through the maintenance; times since the run started, or durations. */
export interface MaintainTimeline {
  /** The director took weight 0. */
  drainedAtMs?: number;
  /** From the drain until the director held none of its connections (absent: not empty in time). */
  emptyAfterMs?: number;
  /** How long `--exec` ran. */
  workMs?: number;
  /** From the end of the work until it answered directly with its own name. */
  healthyAfterMs?: number;
  /** The director took the original weight back. */
  backAtMs?: number;
  /** From the restore until a new connection through the VIP reached it again. */
  returnedAfterMs?: number;
}

/** The director's counts during the wait until empty, and what the sampler did about its own connections. */
export interface WaitEmptyReport {
  mode: 'active' | 'all';
  timedOut: boolean;
  polls: number;
  /** At the first poll after the drain, and at the last. */
  first?: ConnectionSample;
  last?: ConnectionSample;
  /** Long-lived sampler connections closed early on this server once no other client held an active one. */
  samplerRetired: number;
}

export interface ConnectionSample {
  atMs: number;
  active: number;
  inactive: number;
  /** The sampler's own established connections on the server, not counted as a client that keeps it busy. */
  own: number;
  /** What still keeps the server from being empty: foreign active (and, with `all`, inactive) connections. */
  remaining: number;
}

export interface ExecReport {
  command: string;
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  durationMs: number;
  /** stdout and stderr as they came, the last 64 KiB. */
  output: string;
  truncated: boolean;
}

export interface MaintainServerReport {
  name: string;
  host: string;
  port: number;
  /** done: maintained and back; failed: a step failed; refused: not drained (capacity, already at 0); pending: not reached. */
  status: 'done' | 'failed' | 'refused' | 'pending';
  weight?: number;
  timeline: MaintainTimeline;
  steps: MaintainStep[];
  waitEmpty?: WaitEmptyReport;
  exec?: ExecReport;
  restore: {
    attempted: boolean;
    restored: boolean;
    /** Left at weight 0 on purpose (it did not come back healthy): on the journal for `undrain` / `undo`. */
    leftDrained?: boolean;
    /** The weight someone else set meanwhile: not overwritten. */
    changedTo?: number;
    manualCommand?: string;
    error?: string;
  };
  /** Sampler requests from this server's drain until it was back (or the run stopped). */
  requests: { sent: number; failed: number };
}

export interface SamplerReport {
  rate: number;
  longLived: number;
  maxAgeMs: number;
  intervalMs: number;
  durationMs: number;
  /** Every request: one line and its reply (a short connection is one request, a long-lived one many). */
  requests: { sent: number; ok: number; failed: number; short: number; long: number };
  connections: { short: number; long: number };
  /** Short connections not started because too many were still open (the director or the sampler fell behind). */
  notSent: number;
  /** Requests answered, by server. */
  answeredBy: Record<string, number>;
  failures: {
    byClass: Record<FailureClass, number>;
    /** The first 100, in order; `atMs` is since the run started. */
    first: Failure[];
  };
  /** Long-lived connections closed early on a drained server. */
  retired: number;
}

export interface MaintainReport {
  tool: 'lvs-verify';
  command: 'maintain';
  version: string;
  verdict: 'pass' | 'fail' | 'error';
  error?: {
    type: string;
    message: string;
    /** Nothing had been drained by this run (exit 3 for environment errors, 2 for usage). */
    beforeDrain: boolean;
    signal?: string;
    detail?: string;
    server?: string;
  };
  startedAt: string;
  durationMs: number;
  vip: string;
  driver: { name: string; description: string };
  director?: DirectorState;
  settings: {
    exec?: string;
    waitEmpty: 'active' | 'all';
    drainTimeoutMs: number;
    onTimeout: 'abort' | 'continue';
    minServing: number;
    healthyTimeoutMs: number;
    restoreTimeoutMs: number;
    execTimeoutMs: number;
    timeoutMs: number;
    pollMs: number;
  };
  preflight: { status: CheckStatus; message: string };
  servers: MaintainServerReport[];
  sampler: SamplerReport;
}

/** The report of `lvs-verify drain` and `lvs-verify undrain`: one server's steps. */
export interface ServerCommandReport {
  tool: 'lvs-verify';
  command: 'drain' | 'undrain';
  version: string;
  verdict: 'pass' | 'fail' | 'error';
  error?: MaintainReport['error'];
  startedAt: string;
  durationMs: number;
  vip: string;
  driver: { name: string; description: string };
  server: MaintainServerReport;
}
