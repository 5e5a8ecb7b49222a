import type { DirectorState } from '@lvs-drain-kit/drivers';

export type PhaseId = 'preflight' | 'spread' | 'drain' | 'hold' | 'new-connections' | 'restore' | 'cleanup';

export type CheckId =
  | 'preflight'
  | 'spread'
  | 'drain'
  | 'old-connections-survive'
  | 'old-connections-no-stall'
  | 'new-connections-avoid-drained'
  | 'reused-source-port'
  | 'persistence-templates'
  | 'weight-unchanged'
  | 'restore'
  | 'new-connections-return'
  | 'identity-agrees';

/** What went wrong with one exchange: no reply in time, RST, FIN, another host answered, not a reply. */
export type FailureClass = 'timeout' | 'reset' | 'closed' | 'wrong-host' | 'garbled';
export const FAILURE_CLASSES: readonly FailureClass[] = ['timeout', 'reset', 'closed', 'wrong-host', 'garbled'];

/**
 * A failure, or a `stall`: an old connection answered, but far later than it did before the drain
 * (a blackout shorter than the timeout). A warning, a failure under --strict.
 */
export type DisruptionClass = FailureClass | 'stall';

export interface Failure {
  class: DisruptionClass;
  /** e.g. `old#3`, `new#12`, `probe`. */
  connection: string;
  /** The server the connection was on (its name), or the one that answered for new connections. */
  server: string;
  /** Milliseconds since the drain (negative before it). */
  atMs: number;
  detail?: string;
  /** A timeout while the verifier's own event loop stood still this long: maybe the verifier's fault, not the server's. */
  verifierStalledMs?: number;
}

/**
 * `inconclusive`: the check observed nothing it could judge (no round after the drain, no new connection
 * from a fresh source port): neither a pass nor the load balancer's failure; the run exits 3.
 */
export type CheckStatus = 'pass' | 'fail' | 'skip' | 'warn' | 'inconclusive';

/**
 * How strong "none reached the drained server" is: `samples` new connections from fresh source ports,
 * `reached` of them answered by the drained server. With none, a director sending a share `leak` or more
 * of new connections there would have shown at least once with probability `confidence`
 * (leak = 1 − (1 − confidence)^(1/samples)).
 */
export interface DetectionPower {
  samples: number;
  reached: number;
  leak: number;
  confidence: number;
}

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  /** One line: why. */
  message: string;
  failures: Failure[];
  durationMs?: number;
  /** new-connections-avoid-drained and new-connections-return: what the sample could have seen. */
  power?: DetectionPower;
}

export interface PhaseTiming {
  id: PhaseId;
  startMs: number;
  durationMs: number;
}

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** server name → phase → connect/rtt summaries, in milliseconds. */
export type LatencyReport = Record<
  string,
  Partial<Record<PhaseId, { connect?: LatencySummary; rtt?: LatencySummary }>>
>;

export interface Disruption {
  /** Since the drain. */
  startMs: number;
  endMs: number;
  durationMs: number;
  connections: string[];
  classes: DisruptionClass[];
}

export interface ServerReport {
  name: string;
  host: string;
  port: number;
  drained: boolean;
  weightBefore?: number;
  weightDuringDrain?: number;
  weightAfter?: number;
  /** Old connections on it at the drain, and still working at the end of the hold. */
  connectionsBefore: number;
  connectionsAfter: number;
  /** Fresh connections it got after the drain, and after the restore (from source ports not used before in the run). */
  newConnections: number;
  returnedConnections: number;
  /**
   * New connections from a source address:port that an earlier connection of this run had used, which
   * reached this server while it was drained: the port-reuse pitfall (reused-source-port), not a leak
   * and not a failure.
   */
  reusedPortConnections: number;
  /** Old connections that answered far later than before the drain (old-connections-no-stall). */
  stalls: number;
  replies: number;
  failures: Record<FailureClass, number>;
}

export interface IdentityReport {
  mode: 'director' | 'service' | 'both';
  /** What the director's table is read with, e.g. `ipvsadm -L -n -c`. */
  director?: string;
  /** What in an answer names the server, e.g. `header X-Served-By`. */
  service?: string;
  /** Connections attributed by both sources (under `both`), and how many of them they disagreed on. */
  crossChecked: number;
  disagreements: number;
  /** Listings of the director's table read, and their mean time. */
  directorReads: number;
  directorReadMeanMs?: number;
}

/** How late the verifier's event loop ran, in ms past its timer (`perf_hooks.monitorEventLoopDelay`). */
export interface LoopDelaySummary {
  p50: number;
  p99: number;
  max: number;
}

/** The verifier measuring itself, so its own slowness is not taken for the server's. */
export interface VerifierReport {
  eventLoopDelay: LoopDelaySummary;
  perPhase: Partial<Record<PhaseId, LoopDelaySummary>>;
  /** The process's peak resident memory, and the most JS heap in use (sampled every 250 ms and at phase ends). */
  peakRssBytes: number;
  heapUsedBytes: number;
  /** Hold rounds every connection got through, how many the interval allows, the verifier's CPU over the hold (100 = one core). */
  hold?: { rounds: number; expectedRounds: number; cpuPercent: number };
  /** Timeout failures that happened while the verifier itself stood still (marked `verifierStalledMs`). */
  stalledTimeouts: number;
  /** Overload and pacing notes: warnings, never failures of their own. */
  warnings: string[];
}

/**
 * pass (exit 0); fail: a check failed, the load balancer did something wrong (1); inconclusive: a check
 * could not observe what it must, nothing failed (3); error: something stopped the run (see `error`).
 */
export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';

/** What stopped a run (set when its verdict is `error`): one shape for drain-test and maintain. */
export interface RunError {
  type: string;
  message: string;
  /** Nothing had been drained yet by this run (exit 3 for environment errors, 2 for usage). */
  beforeDrain: boolean;
  signal?: string;
  /** stderr of a failed command, the director's answer. */
  detail?: string;
  /** The server the run was on when it stopped (maintain). */
  server?: string;
}

export interface DrainReport {
  tool: 'lvs-verify';
  version: string;
  verdict: Verdict;
  /** Set when verdict is `error`: what stopped the run. */
  error?: RunError;
  startedAt: string;
  durationMs: number;
  vip: string;
  drain: { host: string; port: number; name?: string; originalWeight?: number };
  settings: {
    connections: number;
    newConnections: number;
    /** The leak share the new-connection sample was sized for (`--max-leak`), as a fraction. */
    maxLeak: number;
    holdMs: number;
    intervalMs: number;
    timeoutMs: number;
    restoreTimeoutMs: number;
    restore: boolean;
    strict: boolean;
  };
  driver: { name: string; description: string };
  /** How the service was probed, e.g. `http GET / (2xx,3xx)`; absent in reports of older versions. */
  probe?: { kind: 'line' | 'http' | 'tcp'; description: string };
  /** Where each connection's server was known from, and how often both sources were compared. */
  identity?: IdentityReport;
  director?: DirectorState;
  phases: PhaseTiming[];
  checks: CheckResult[];
  servers: ServerReport[];
  latency: LatencyReport;
  disruptions: Disruption[];
  restore: { attempted: boolean; restored: boolean; weight?: number; manualCommand?: string; error?: string };
  verifier: VerifierReport;
  /** Every exchange in time, for the HTML report; absent in reports of older versions. */
  timeline?: TimelineReport;
}

/** What a fresh connection was for: one after the drain, the reused-source-port probe, one after the restore. */
export type FreshKind = 'new' | 'reused-port' | 'return';
export const FRESH_KINDS: readonly FreshKind[] = ['new', 'reused-port', 'return'];

/**
 * Every line and every fresh connection of the run, in columns (arrays of whole numbers, one entry per
 * item) so ten thousand connections stay a few megabytes. Times are milliseconds since the drain
 * (negative before it; since the run's start when nothing was drained), durations are tenths of a
 * millisecond. An `outcome` indexes `outcomes`: a server that answered, or how the exchange failed.
 */
export interface TimelineReport {
  /** The server names (in `servers` order, then any other host that answered), then `FAILURE_CLASSES`. */
  outcomes: string[];
  /** How many of `outcomes` are servers: an outcome below it is a server that answered, from it on a failure. */
  serverCount: number;
  /** The drain in milliseconds since the run's start (the base of `phases[].startMs`); absent when nothing was drained. */
  drainAtMs?: number;
  /** When the original weight was put back (the driver confirmed it). */
  restoreMs?: number;
  /** When the first connection after the restore reached the drained server again. */
  returnMs?: number;
  /** Old connections, in the order they were opened: entry i is `old#(i+1)`. */
  old: {
    /** Index into `outcomes`: the server it was opened on. */
    server: number[];
    openedMs: number[];
    connectTenths: number[];
    /** How many consecutive entries of `probes` are its lines (the `hello` at opening first). */
    probes: number[];
  };
  /** Lines on old connections, grouped by connection in `old` order, in the order sent. */
  probes: {
    sentMs: number[];
    /** Round trip; for a failure the time until it was seen. */
    tookTenths: number[];
    outcome: number[];
  };
  /** Fresh connections after the drain and after the restore, in the order opened. */
  fresh: {
    /** Index into `FRESH_KINDS`. */
    kind: number[];
    sentMs: number[];
    /** -1 when no connection was made. */
    connectTenths: number[];
    outcome: number[];
  };
}
