/**
 * What every phase of a run talks through: a connection it opens, asks, and closes, whatever the
 * protocol. A `Probe` (line.ts, http.ts, tcp.ts) knows one protocol; identity.ts adds who served the
 * connection (from the answers, the director's table, or both) and hands the run a `ProbeConnection`.
 * No phase of the run knows which protocol it speaks.
 */
import type { FailureClass } from '../report/types.js';

export interface ConnectTarget {
  host: string;
  port: number;
  /** Bind this local port (the reused-source-port probe). */
  localPort?: number;
  localAddress?: string;
  timeoutMs: number;
}

/** Why a connection no longer works. */
export interface Dead {
  class: FailureClass;
  detail: string;
}

/** One exchange as a probe sees it: the server's name only where the answer carries one. */
export type ProbeExchange =
  | { ok: true; host?: string; rttMs: number }
  | { ok: false; class: FailureClass; detail: string; host?: string };

/** One exchange as the run sees it: answered by a named server, or failed. */
export type Exchange =
  | { ok: true; host: string; rttMs: number }
  | { ok: false; class: FailureClass; detail: string; host?: string };

export interface AskOptions {
  /** The last exchange on this connection: the service is asked to close after answering (HTTP `Connection: close`). */
  last?: boolean;
}

/** The connection of one probe kind. */
export interface ProbeSession {
  readonly connectMs: number;
  readonly localPort: number;
  readonly localAddress: string | undefined;
  /** Why this connection no longer works, if it does not. */
  readonly dead: Dead | undefined;
  /**
   * One exchange (`label` names it: the line probe sends it when no text is given). With `expectedHost`
   * an answer naming another server is `wrong-host`; a probe whose answers name no server ignores it.
   */
  ask(label: string, expectedHost: string | undefined, timeoutMs: number, options?: AskOptions): Promise<ProbeExchange>;
  /** Ends the connection, the server closing first where the protocol lets it (so the local port is free at once). */
  shutdown(timeoutMs: number): Promise<void>;
  destroy(): void;
}

export type ProbeKind = 'line' | 'http' | 'tcp';

export interface Probe {
  readonly kind: ProbeKind;
  /** What in an answer names the server, for people (`the reply line`, `header X-Served-By`); undefined when nothing does. */
  readonly identity: string | undefined;
  /** One line for the report: `http GET / (2xx, 3xx)`. */
  readonly description: string;
  open(target: ConnectTarget): Promise<ProbeSession>;
}

/** The connection every phase of a run holds: a probe's, with the server that holds it always named. */
export interface ProbeConnection {
  readonly connectMs: number;
  readonly localPort: number;
  readonly localAddress: string | undefined;
  readonly dead: Dead | undefined;
  ask(label: string, expectedHost: string | undefined, timeoutMs: number, options?: AskOptions): Promise<Exchange>;
  shutdown(timeoutMs: number): Promise<void>;
  destroy(): void;
}

export class ConnectFailure extends Error {
  override name = 'ConnectFailure';
  constructor(
    readonly failureClass: FailureClass,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
