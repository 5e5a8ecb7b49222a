import { isIP } from 'node:net';
import { AddressError, canonicalHost, formatDuration, ipv4RangeHosts, parseIpv4Range } from '@lvs-drain-kit/common';
import type { DrainDriver, DriverSpec, RealServerRef } from '@lvs-drain-kit/drivers';
import { UsageError } from './errors.js';
import { samplesForLeak } from './measure/power.js';
import type { ConnectTarget, ProbeSession } from './probe/connection.js';
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
  /**
   * The share of new connections (0 < maxLeak < 1) a director may still send to the drained server and
   * be seen doing it with 95% confidence: it sizes `newConnections`. Default 0.05 (59 connections).
   */
  maxLeak?: number;
  /** New connections opened after the drain; wins over `maxLeak`. Default: sized from `maxLeak`. */
  newConnections?: number;
  /**
   * How long old connections keep talking after the drain took effect. They start a few lines before
   * the drain command and keep talking through it. Default 5 s; at least three intervals.
   */
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
  /** Client addresses of this host to connect from, in turn (hashing and persistent services need several). */
  sources?: string[];
  /** More client addresses: every host address of this IPv4 range (CIDR). */
  sourceRange?: string;
  /** Warnings fail: a reused source port reaching the drained server, an old connection stalled at the drain. */
  strict?: boolean;
  /** Journal file; default `defaultJournalPath()` (root: /var/lib/lvs-drain-kit/journal.json). */
  journalPath?: string;
  /** Phase lines and notes while running (the CLI writes them to stderr). */
  onProgress?: (event: ProgressEvent) => void;
  /** Abort (SIGINT/SIGTERM): stop, restore, and report. */
  signal?: AbortSignal;
  /**
   * Opens every connection through the VIP (default the probe's `open`); `localPort` undefined means
   * the kernel's choice. Tests stand in for a kernel that hands out a port used before.
   */
  openConnection?: (target: ConnectTarget) => Promise<ProbeSession>;
}

export const DEFAULTS = {
  connections: 8,
  maxLeak: 0.05,
  holdMs: 5000,
  intervalMs: 200,
  timeoutMs: 2000,
  restoreTimeoutMs: 10_000,
} as const;

/** A hold must give every old connection at least this many lines after the drain, or it proves nothing. */
export const MIN_HOLD_INTERVALS = 3;

/** The numbers and switches of a run, apart from what and where it tests. */
export type Settings = Pick<
  DrainTestOptions,
  | 'connections'
  | 'maxLeak'
  | 'newConnections'
  | 'holdMs'
  | 'intervalMs'
  | 'timeoutMs'
  | 'restoreTimeoutMs'
  | 'restore'
  | 'strict'
>;

export type ResolvedOptions = Required<Settings> &
  DrainTestOptions & {
    /** `sources` and `sourceRange` together, each address once; empty: the system picks. */
    clientAddresses: string[];
  };

export function resolveOptions(o: DrainTestOptions): ResolvedOptions {
  return { ...o, ...resolveSettings(o), clientAddresses: clientAddresses(o.sources, o.sourceRange) };
}

/**
 * Defaults filled in, and every setting that would leave a check with nothing to observe refused up
 * front (UsageError, exit 2): a hold too short to watch the drain, a sample of nothing, a restore
 * with no time to come back.
 */
export function resolveSettings(o: Settings): Required<Settings> {
  const maxLeak = o.maxLeak ?? DEFAULTS.maxLeak;
  if (!(maxLeak > 0 && maxLeak < 1)) throw new UsageError('--max-leak must be above 0% and below 100%');
  const r: Required<Settings> = {
    connections: o.connections ?? DEFAULTS.connections,
    maxLeak,
    newConnections: o.newConnections ?? samplesForLeak(maxLeak),
    holdMs: o.holdMs ?? DEFAULTS.holdMs,
    intervalMs: o.intervalMs ?? DEFAULTS.intervalMs,
    timeoutMs: o.timeoutMs ?? DEFAULTS.timeoutMs,
    restoreTimeoutMs: o.restoreTimeoutMs ?? DEFAULTS.restoreTimeoutMs,
    restore: o.restore ?? true,
    strict: o.strict ?? false,
  };
  const d = formatDuration;
  if (r.intervalMs < 1) throw new UsageError('--interval must be at least 1ms');
  if (r.timeoutMs < 1) throw new UsageError('--timeout must be at least 1ms');
  if (r.restoreTimeoutMs < 1)
    throw new UsageError('--restore-timeout must leave time for new connections to come back (e.g. 10s)');
  if (r.connections < 1) throw new UsageError('--connections must be at least 1');
  if (r.newConnections < 1) throw new UsageError('--new-connections must be at least 1');
  const least = MIN_HOLD_INTERVALS * r.intervalMs;
  if (r.holdMs < least)
    throw new UsageError(
      `--hold ${d(r.holdMs)} is shorter than ${MIN_HOLD_INTERVALS} intervals of ${d(r.intervalMs)}: the old connections would hardly be watched after the drain; give --hold ${d(least)} or more, or a shorter --interval`,
    );
  return r;
}

/** --source addresses and the hosts of --source-range, each once, in one spelling. Throws AddressError. */
export function clientAddresses(sources: readonly string[] = [], range?: string): string[] {
  const out = new Set<string>();
  for (const s of sources) {
    if (isIP(s) === 0) throw new AddressError(`--source ${s}: expected an IP address of this host`);
    out.add(canonicalHost(s));
  }
  if (range !== undefined) for (const h of ipv4RangeHosts(parseIpv4Range(range))) out.add(h);
  return [...out];
}
