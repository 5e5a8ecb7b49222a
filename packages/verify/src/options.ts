import { isIP } from 'node:net';
import { AddressError, canonicalHost, ipv4RangeHosts, parseIpv4Range } from '@lvs-drain-kit/common';
import type { DrainDriver, DriverSpec, RealServerRef } from '@lvs-drain-kit/drivers';
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
  /** Client addresses of this host to connect from, in turn (hashing and persistent services need several). */
  sources?: string[];
  /** More client addresses: every host address of this IPv4 range (CIDR). */
  sourceRange?: string;
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
  DrainTestOptions & {
    /** `sources` and `sourceRange` together, each address once; empty: the system picks. */
    clientAddresses: string[];
  };

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
    clientAddresses: clientAddresses(o.sources, o.sourceRange),
  };
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
