import { formatHostPort } from '@lvs-drain-kit/common';
import { DisruptionTracker } from '../measure/disruptions.js';
import { LatencyRecorder } from '../measure/latency.js';
import { overloadWarning } from '../measure/overload.js';
import { SelfMonitor } from '../measure/self-monitor.js';
import { TimelineRecorder } from '../measure/timeline.js';
import type { ResolvedOptions } from '../options.js';
import type { ConnectTarget, Probe, ProbeConnection } from '../probe/connection.js';
import { type IdentitySources, openIdentified } from '../probe/identity.js';
import { type PortUse, SourcePorts } from '../probe/source-ports.js';
import type {
  CheckId,
  CheckResult,
  Failure,
  FailureClass,
  PhaseId,
  PhaseTiming,
  ServerReport,
} from '../report/types.js';
import type { ClientAffinity } from './client-affinity.js';
import { ClientSources } from './client-sources.js';

/** An old connection held through the drain. */
export interface OldConnection {
  id: string;
  conn: ProbeConnection;
  /** The host name it answered with when opened. */
  server: string;
  failed?: Failure;
  /** Its first round trip (`hello`), and the hold's round trips before the drain command went out: its own normal. */
  helloRttMs: number;
  baselineRtts: number[];
  /** Its stall threshold, worked out at its first exchange after the drain command (the baseline is complete by then). */
  stall?: { thresholdMs: number; baselineP99Ms: number };
}

/**
 * A new connection from a source address:port that an earlier connection of this run had used, which
 * reached the drained server: the port-reuse pitfall, not a scheduling decision. Never counted as a leak
 * or a return.
 */
export interface ReuseHit {
  /** e.g. `probe`, `new#12`, `return#49`. */
  connection: string;
  server: string;
  atMs: number;
  /** `address:port` on this side. */
  source: string;
  /** The earlier connection from that pair that had reached the drained server. */
  earlier: PortUse;
  /** `new-connections`: the server had weight 0; `restore`: after the restore. */
  phase: PhaseId;
}

/** The drained server's weight re-read after the drain: when, and what someone else set it to. */
export interface WeightWatch {
  reads: Array<{ when: string; weight: number; atMs: number }>;
  /** The first read that was not the weight this run set. */
  drift?: { from: number; to: number; when: string; atMs: number };
}

/** The shared state of one run: timings, measurements, checks. */
export class RunContext {
  readonly t0 = performance.now();
  /** performance.now() when the director took weight 0 (the drain's clock), and when the command went out. */
  drainAt: number | undefined;
  drainSentAt: number | undefined;
  /** Source pairs of every connection through the VIP and where they went. */
  readonly ports = new SourcePorts();
  /** New connections that reached the drained server only because their source pair had before. */
  readonly reuseHits: ReuseHit[] = [];
  /** New connections per phase set aside because their source pair had been used before (the hits included). */
  readonly setAside = new Map<PhaseId, number>();
  readonly latency = new LatencyRecorder();
  /** Every line and fresh connection with its time, for the HTML report. */
  readonly timeline = new TimelineRecorder();
  readonly disruptions: DisruptionTracker;
  readonly checks: CheckResult[] = [];
  readonly phases: PhaseTiming[] = [];
  readonly servers = new Map<string, ServerReport>();
  old: OldConnection[] = [];
  drainedName = '';
  /** The verifier's own event-loop delay and memory, from the start of the run. */
  readonly monitor = new SelfMonitor();
  /** Set by the hold: rounds started, how many the interval allows, the verifier's CPU over it. */
  holdRounds: { rounds: number; expectedRounds: number; cpuPercent: number } | undefined;
  /** The client addresses connections are bound to; preflight keeps them apart on a persistent service. */
  sources: ClientSources;
  /** What keeps a client on one server, where the director says (preflight). */
  affinity: ClientAffinity | undefined;
  /** The drained server's weight as re-read during the run (weight-unchanged). */
  readonly weightWatch: WeightWatch = { reads: [] };
  /** Overload and pacing notes for the report. */
  readonly verifierWarnings: string[] = [];
  /** How the run talks to the service, and where it knows each connection's server from: set by preflight. */
  probe: Probe | undefined;
  identity: IdentitySources | undefined;
  #phase: { id: PhaseId; start: number } | undefined;

  constructor(readonly options: ResolvedOptions) {
    this.disruptions = new DisruptionTracker(options.intervalMs * 1.5);
    this.sources = new ClientSources(options.clientAddresses);
  }

  /** Milliseconds since the drain (since the start before it). */
  sinceDrain(at = performance.now()): number {
    return Math.round(at - (this.drainAt ?? this.t0));
  }

  addServer(name: string, host: string, port: number): void {
    const drained = host === this.options.drain.host && port === this.options.drain.port;
    if (drained) this.drainedName = name;
    this.servers.set(name, {
      name,
      host,
      port,
      drained,
      connectionsBefore: 0,
      connectionsAfter: 0,
      newConnections: 0,
      returnedConnections: 0,
      reusedPortConnections: 0,
      stalls: 0,
      replies: 0,
      failures: { timeout: 0, reset: 0, closed: 0, 'wrong-host': 0, garbled: 0 },
    });
  }

  server(name: string): ServerReport | undefined {
    return this.servers.get(name);
  }

  /** A connection through the VIP, the kernel choosing its source port unless `localPort` is given. */
  openConnection(target: Omit<ConnectTarget, 'host' | 'port' | 'timeoutMs'> = {}): Promise<ProbeConnection> {
    const o = this.options;
    if (!this.probe || !this.identity) throw new Error('no probe before preflight');
    const probe: Probe = o.openConnection ? { ...this.probe, open: o.openConnection } : this.probe;
    return openIdentified(
      probe,
      { host: o.vip.host, port: o.vip.port, timeoutMs: o.timeoutMs, ...target },
      this.identity,
    );
  }

  findCheck(id: CheckId): CheckResult | undefined {
    return this.checks.find((c) => c.id === id);
  }

  countFailure(server: string, cls: FailureClass): void {
    const s = this.servers.get(server);
    if (s) s.failures[cls]++;
  }

  countReply(server: string): void {
    const s = this.servers.get(server);
    if (s) s.replies++;
  }

  progress(phase: PhaseId, kind: 'start' | 'end' | 'note' | 'warn', message: string): void {
    this.options.onProgress?.({ phase, kind, message, atMs: Math.round(performance.now() - this.t0) });
  }

  startPhase(id: PhaseId, message: string): void {
    this.endPhase();
    this.#phase = { id, start: performance.now() };
    this.progress(id, 'start', message);
  }

  endPhase(): void {
    if (!this.#phase) return;
    const { id, start } = this.#phase;
    this.phases.push({
      id,
      startMs: Math.round(start - this.t0),
      durationMs: Math.round(performance.now() - start),
    });
    this.#phase = undefined;
    const warning = overloadWarning(id, this.monitor.endPhase(id), this.options.timeoutMs);
    if (warning) this.verifierWarn(id, warning);
  }

  /** A note that the verifier itself fell behind: on stderr now, in the report later; never a failure. */
  verifierWarn(phase: PhaseId, message: string): void {
    this.verifierWarnings.push(message);
    this.progress(phase, 'warn', message);
  }

  check(
    id: CheckId,
    status: CheckResult['status'],
    message: string,
    failures: Failure[] = [],
    startedAt?: number,
    extra: Pick<CheckResult, 'power'> = {},
  ): CheckResult {
    const c: CheckResult = { id, status, message, failures };
    if (startedAt !== undefined) c.durationMs = Math.round(performance.now() - startedAt);
    if (extra.power) c.power = extra.power;
    this.checks.push(c);
    this.progress(
      this.#phase?.id ?? 'cleanup',
      status === 'fail' ? 'warn' : 'note',
      `${id}: ${status.toUpperCase()} — ${message}`,
    );
    return c;
  }

  get vipText(): string {
    return formatHostPort(this.options.vip);
  }

  throwIfAborted(): void {
    this.options.signal?.throwIfAborted();
  }
}
