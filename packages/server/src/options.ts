import type { LevelWithSilent } from 'pino';

export type LogFormat = 'json' | 'pretty';

/** Everything rs-server can be told. Durations are in milliseconds; 0 means "off". */
export interface ServerOptions {
  /** TCP port; 0 picks a free one (tests). Default 2100. */
  port: number;
  /** Address to listen on; undefined listens on every address (IPv6 and IPv4 where available). */
  host?: string | undefined;
  /** Name in every reply; default `os.hostname()`. */
  name: string;
  /** Longest line accepted, in bytes without the terminator. Default 64 KiB. */
  maxLineBytes: number;
  /** Close a connection idle this long. Default 0 (off): LVS persistent connections may idle for hours. */
  idleTimeoutMs: number;
  /** Refuse connections beyond this many open ones. Default 0 (no limit). */
  maxConnections: number;
  /** TCP keep-alive probe delay on accepted sockets, so dead peers are noticed. Default 60 s; 0 turns it off. */
  keepAliveMs: number;
  /** On SIGTERM/SIGINT, how long open connections may go on before they are closed. Default 30 s. */
  shutdownTimeoutMs: number;
  /**
   * On SIGTERM, first drain (health checks say so) for up to this long, until no connection is open and a
   * health check has seen the drain. Default 0: stop at once.
   */
  drainOnTermMs: number;
  /** The control socket (`rs-server ctl`, `rs-server check`); owner-only. Default: none. */
  ctlPath?: string | undefined;
  /** HAProxy agent-check port. Default: none. */
  agentPort?: number | undefined;
  /** Address of the agent port; default: the service's --host. */
  agentHost?: string | undefined;
  /** /healthz and /metrics over HTTP. Default: none. */
  statusPort?: number | undefined;
  /** Address of the status port. Default 127.0.0.1: metrics are not for the whole network. */
  statusHost: string;
  logFormat: LogFormat;
  logLevel: LevelWithSilent;
  /** Processes serving the port (Node cluster), to use more than one core. Default 1: no cluster. */
  workers: number;
}

export const DEFAULTS = {
  port: 2100,
  maxLineBytes: 64 * 1024,
  idleTimeoutMs: 0,
  maxConnections: 0,
  keepAliveMs: 60_000,
  shutdownTimeoutMs: 30_000,
  drainOnTermMs: 0,
  statusHost: '127.0.0.1',
  logLevel: 'info',
  workers: 1,
} as const satisfies Partial<ServerOptions>;
