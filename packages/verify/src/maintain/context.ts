/** The shared state of one maintenance run: its clock, options, journal, servers and progress lines. */
import { formatHostPort } from '@lvs-drain-kit/common';
import type { RealServerRef, ServiceRef } from '@lvs-drain-kit/drivers';
import { Journal, type JournalEntry } from '../journal.js';
import type { MaintainReport, MaintainServerReport, MaintainStep, MaintainStepId } from '../report/maintain-types.js';
import { runErrorOf } from '../report/run-error.js';
import type { CheckStatus } from '../report/types.js';
import { type Health, waitHealthy } from './healthy.js';
import type { ResolvedMaintainOptions } from './options.js';

export class MaintainRun {
  readonly t0 = performance.now();
  readonly journal: Journal;
  readonly service: ServiceRef;
  /** The servers to maintain, in order, with what happened to each. */
  readonly servers: MaintainServerReport[] = [];
  /** Set by the first drain: an error after it is no longer "before anything changed". */
  drainedAny = false;

  constructor(readonly o: ResolvedMaintainOptions) {
    this.journal = new Journal(o.journalPath);
    this.service = { vip: o.vip };
  }

  /** Milliseconds since the run started. */
  now(at = performance.now()): number {
    return Math.round(at - this.t0);
  }

  progress(step: string, kind: 'start' | 'note' | 'warn', message: string, server?: string): void {
    this.o.onProgress?.({ step, kind, message, atMs: this.now(), ...(server ? { server } : {}) });
  }

  /** Records a step of `server`'s maintenance that started at `startedAt` (performance.now()). */
  step(
    server: MaintainServerReport,
    id: MaintainStepId,
    status: CheckStatus,
    message: string,
    startedAt: number,
  ): MaintainStep {
    const s: MaintainStep = {
      id,
      status,
      message,
      startMs: this.now(startedAt),
      durationMs: Math.round(performance.now() - startedAt),
    };
    server.steps.push(s);
    this.progress(id, status === 'fail' ? 'warn' : 'note', `${status.toUpperCase()} — ${message}`, server.name);
    return s;
  }

  throwIfAborted(): void {
    this.o.signal?.throwIfAborted();
  }

  /** Writes the drain of `s` (from `weight`) to the journal, before the weight changes. */
  journalDrain(s: MaintainServerReport, weight: number): Promise<JournalEntry> {
    const o = this.o;
    return this.journal.add({
      vip: o.vip,
      real: { host: s.host, port: s.port },
      name: s.name,
      originalWeight: weight,
      ...(o.driverSpec ? { driverSpec: o.driverSpec } : {}),
      driverDescription: o.driver.description,
      manualCommand: o.driver.manualCommand(this.service, s, weight),
    });
  }

  /** Asks `s` directly, until it answers as itself or --healthy-timeout passes; with its progress line. */
  waitHealthy(s: MaintainServerReport): Promise<Health> {
    const o = this.o;
    this.progress('healthy', 'start', `asking ${s.name} directly (${formatHostPort(s)})`, s.name);
    return waitHealthy(s, s.name, {
      timeoutMs: o.healthyTimeoutMs,
      requestTimeoutMs: o.timeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }

  /** What stopped the run, for the report's `error`. */
  errorOf(err: unknown): NonNullable<MaintainReport['error']> {
    return runErrorOf(err, !this.drainedAny);
  }
}

/** A server not reached yet. */
export function newServerReport(name: string, real: RealServerRef): MaintainServerReport {
  return {
    name,
    host: real.host,
    port: real.port,
    status: 'pending',
    timeline: {},
    steps: [],
    restore: { attempted: false, restored: false },
    requests: { sent: 0, failed: 0 },
  };
}
