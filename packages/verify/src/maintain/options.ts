/** What `runMaintain`, `drainServer` and `undrainServer` take: plain options, durations in milliseconds. */
import type { DrainDriver, DriverSpec, RealServerRef } from '@lvs-drain-kit/drivers';
import type { RealSpec } from '../options.js';
import type { MaintainProgress } from './progress.js';

// The words of --wait-empty and --on-timeout (and of a cluster file), spelled once for flag, schema and type.
/** `active`: established connections only; `all`: closing and closed ones the director still holds too. */
export const WAIT_EMPTY_MODES = ['active', 'all'] as const;
export type WaitEmptyMode = (typeof WAIT_EMPTY_MODES)[number];
export const ON_TIMEOUT_ACTIONS = ['abort', 'continue'] as const;
export type OnTimeout = (typeof ON_TIMEOUT_ACTIONS)[number];

/** The live traffic that proves no client noticed: short connections at `rate` and long-lived ones. */
export interface SamplerSettings {
  /** New short connections per second (connect, one request, close). Default 50. */
  rate: number;
  /** Long-lived connections, each talking every `intervalMs`. Default 8. */
  longLived: number;
  /** A long-lived connection closes gracefully and reconnects after this long, like a pooled client. Default 10 s. */
  maxAgeMs: number;
  /** Pause between requests on each long-lived connection. Default 200 ms. */
  intervalMs: number;
}

/** How a drained server is waited for: shared by maintain and `drain --wait`. */
export interface WaitSettings {
  waitEmpty: WaitEmptyMode;
  /** How long a drained server may take to empty. Default 5 min. */
  drainTimeoutMs: number;
  /** `abort`: put the server back and stop; `continue`: go on with the work anyway. */
  onTimeout: OnTimeout;
  /** Refuse to drain a server unless this many others keep a weight above 0. Default 1. */
  minServing: number;
  /** How often the director's connection counts are read. Default 1 s. */
  pollMs: number;
}

export interface MaintainOptions extends Partial<SamplerSettings>, Partial<WaitSettings> {
  vip: RealServerRef;
  reals: RealSpec[];
  /** The servers to maintain (an address or a name), in this order; default every real server, in the order given. */
  only?: Array<RealServerRef | string>;
  driver: DrainDriver;
  /** How to rebuild the driver: written to the journal so `lvs-verify undo` can put a server back. */
  driverSpec?: DriverSpec;
  /** The work, run by /bin/sh -c per server: `{name} {rip} {rport} {vip} {vport} {weight}` are filled in, shell-quoted. */
  exec?: string;
  /** How long the work may take. Default 10 min. */
  execTimeoutMs?: number;
  /** After the work, how long the server may take to answer directly with its own name. Default 30 s. */
  healthyTimeoutMs?: number;
  /** After the restore, how long until new connections reach it again. Default 10 s. */
  restoreTimeoutMs?: number;
  /** Per request and per connect. Default 2 s. */
  timeoutMs?: number;
  journalPath?: string;
  onProgress?: (event: MaintainProgress) => void;
  /** SIGINT/SIGTERM: stop, put back what is drained, report. */
  signal?: AbortSignal;
}

export const MAINTAIN_DEFAULTS = {
  rate: 50,
  longLived: 8,
  maxAgeMs: 10_000,
  intervalMs: 200,
  waitEmpty: 'active',
  drainTimeoutMs: 300_000,
  onTimeout: 'abort',
  minServing: 1,
  pollMs: 1000,
  execTimeoutMs: 600_000,
  healthyTimeoutMs: 30_000,
  restoreTimeoutMs: 10_000,
  timeoutMs: 2000,
} as const satisfies Required<SamplerSettings & WaitSettings> & Record<string, unknown>;

export type ResolvedMaintainOptions = MaintainOptions &
  SamplerSettings &
  WaitSettings &
  Required<Pick<MaintainOptions, 'execTimeoutMs' | 'healthyTimeoutMs' | 'restoreTimeoutMs' | 'timeoutMs'>>;

/** Every setting `o` leaves out (undefined) takes its value from MAINTAIN_DEFAULTS. */
export function resolveMaintainOptions(o: MaintainOptions): ResolvedMaintainOptions {
  const resolved: Record<string, unknown> = { ...o };
  for (const [key, value] of Object.entries(MAINTAIN_DEFAULTS)) {
    resolved[key] = o[key as keyof typeof MAINTAIN_DEFAULTS] ?? value;
  }
  return resolved as unknown as ResolvedMaintainOptions;
}
