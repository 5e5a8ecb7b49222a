/** The flags of `rs-server [serve]`: one table, from which commander's options and ServerOptions come. */
import { hostname } from 'node:os';
import { durationArgument, portArgument, wholeNumber } from '@lvs-drain-kit/common';
import { InvalidArgumentError } from 'commander';
import type { LevelWithSilent } from 'pino';
import { DEFAULTS, type LogFormat, type ServerOptions } from '../options.js';
import { type FlagValues, flag } from './flag.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const serverName = (text: string): string => {
  if (text.length === 0 || /[\r\n]/.test(text))
    throw new InvalidArgumentError('--name must be a non-empty single line');
  return text;
};

/** The control socket flag, shared by serve, ctl and check. */
export const CTL_FLAG = flag({
  flags: '--ctl <path>',
  description: 'control socket of the running server (owner-only unix socket)',
  env: 'RS_SERVER_CTL',
  parse: (text: string) => {
    if (text.trim() === '') throw new InvalidArgumentError('--ctl needs a path');
    return text;
  },
});

export const SERVE_FLAGS = {
  host: flag({ flags: '--host <address>', description: 'address to listen on (default: every address)' }),
  name: flag({
    flags: '--name <name>',
    description: 'name to put in replies',
    parse: serverName,
    default: hostname(),
    defaultText: 'os.hostname()',
  }),
  logFormat: flag<LogFormat>({
    flags: '--log-format <format>',
    description: 'json, or pretty for people (default: pretty on a terminal, else json)',
    choices: ['json', 'pretty'],
  }),
  logLevel: flag<LevelWithSilent>({
    flags: '--log-level <level>',
    description: 'minimum log level',
    choices: LEVELS,
    default: DEFAULTS.logLevel,
  }),
  maxLineBytes: flag({
    flags: '--max-line-bytes <bytes>',
    description: 'longest line accepted; a longer one closes the connection',
    parse: wholeNumber(1, 1 << 30),
    default: DEFAULTS.maxLineBytes,
    defaultText: '65536 (64 KiB)',
  }),
  idleTimeoutMs: flag({
    flags: '--idle-timeout <duration>',
    description: 'close connections idle this long, e.g. 10m',
    parse: durationArgument,
    default: DEFAULTS.idleTimeoutMs,
    defaultText: 'off',
  }),
  maxConnections: flag({
    flags: '--max-connections <n>',
    description: 'refuse connections beyond this many open ones (0: no limit)',
    parse: wholeNumber(0, 10_000_000),
    default: DEFAULTS.maxConnections,
    defaultText: 'no limit',
  }),
  keepAliveMs: flag({
    flags: '--keepalive <duration>',
    description: 'TCP keep-alive delay on accepted sockets; 0 disables',
    parse: durationArgument,
    default: DEFAULTS.keepAliveMs,
    defaultText: '60s',
  }),
  shutdownTimeoutMs: flag({
    flags: '--shutdown-timeout <duration>',
    description: 'on SIGTERM/SIGINT, how long open connections may go on before they are closed',
    parse: durationArgument,
    default: DEFAULTS.shutdownTimeoutMs,
    defaultText: '30s',
  }),
  drainOnTermMs: flag({
    flags: '--drain-on-term <duration>',
    description:
      'on SIGTERM, drain first (agent and /healthz say so) until no connection is open and a health check ' +
      'saw it, for at most this long; then the shutdown above',
    parse: durationArgument,
    default: DEFAULTS.drainOnTermMs,
    defaultText: 'off',
  }),
  ctlPath: CTL_FLAG,
  agentPort: flag({
    flags: '--agent-port <port>',
    description: 'answer HAProxy agent-checks on this port (up ready | up drain | maint | stopped)',
    parse: portArgument({ allowZero: true }),
  }),
  agentHost: flag({ flags: '--agent-host <address>', description: 'address of the agent port (default: --host)' }),
  statusPort: flag({
    flags: '--status-port <port>',
    description: 'serve /healthz (200 ready, 503 otherwise) and /metrics (Prometheus) over HTTP on this port',
    parse: portArgument({ allowZero: true }),
  }),
  statusHost: flag({
    flags: '--status-host <address>',
    description: 'address of the status port',
    default: DEFAULTS.statusHost,
  }),
  workers: flag({
    flags: '--workers <n>',
    description: 'processes serving the port, to use more cores (limits such as --max-connections apply to each)',
    parse: wholeNumber(1, 256),
    default: DEFAULTS.workers,
  }),
} as const;

export type ServeFlags = FlagValues<typeof SERVE_FLAGS>;

/** The library options from the parsed flags and the optional port argument. */
export function serverOptionsFrom(flags: ServeFlags, port: number | undefined, isTTY: boolean): ServerOptions {
  return {
    ...flags,
    port: port ?? DEFAULTS.port,
    logFormat: flags.logFormat ?? (isTTY ? 'pretty' : 'json'),
  };
}
