/** The rs-server command line: flags, their checks, and the options they make. */
import { hostname } from 'node:os';
import { AddressError, DurationError, parseDuration, parsePort } from '@lvs-drain-kit/common';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from './errors.js';
import { DEFAULTS, type LogFormat, type ServerOptions } from './options.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function asArg<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (err) {
      if (err instanceof AddressError || err instanceof DurationError || err instanceof RangeError) {
        throw new InvalidArgumentError(err.message);
      }
      throw err;
    }
  };
}

const count = asArg((v: string) => {
  if (!/^\d+$/.test(v)) throw new RangeError(`expected a whole number, got "${v}"`);
  return Number(v);
});
const positive = asArg((v: string) => {
  const n = count(v);
  if (n < 1) throw new RangeError(`expected a number of at least 1, got "${v}"`);
  return n;
});

export function buildProgram(): Command {
  return new Command()
    .name('rs-server')
    .description(
      'The real-server line service of an LVS cluster: logs every line and answers "it\'s from the host: NAME"; ' +
        '"shutdown" closes that connection.',
    )
    .argument(
      '[port]',
      `TCP port to listen on; 0 picks a free one (default ${DEFAULTS.port})`,
      asArg((v: string) => parsePort(v, { allowZero: true })),
    )
    .option('--host <address>', 'address to listen on (default: every address)')
    .option('--name <name>', 'name to put in replies (default: os.hostname())')
    .addOption(
      new Option(
        '--log-format <format>',
        'json, or pretty for people (default: pretty on a terminal, else json)',
      ).choices(['json', 'pretty']),
    )
    .addOption(new Option('--log-level <level>', 'minimum log level').choices(LEVELS).default(DEFAULTS.logLevel))
    .addOption(
      new Option('--max-line-bytes <bytes>', 'longest line accepted; a longer one closes the connection')
        .argParser(positive)
        .default(DEFAULTS.maxLineBytes, '65536 (64 KiB)'),
    )
    .addOption(
      new Option('--idle-timeout <duration>', 'close connections idle this long, e.g. 10m')
        .argParser(asArg(parseDuration))
        .default(DEFAULTS.idleTimeoutMs, 'off'),
    )
    .addOption(
      new Option('--max-connections <n>', 'refuse connections beyond this many open ones')
        .argParser(count)
        .default(DEFAULTS.maxConnections, 'no limit'),
    )
    .addOption(
      new Option('--keepalive <duration>', 'TCP keep-alive delay on accepted sockets; 0 disables')
        .argParser(asArg(parseDuration))
        .default(DEFAULTS.keepAliveMs, '60s'),
    )
    .addOption(
      new Option('--shutdown-timeout <duration>', 'on SIGTERM/SIGINT, how long open connections may go on')
        .argParser(asArg(parseDuration))
        .default(DEFAULTS.shutdownTimeoutMs, '30s'),
    )
    .addOption(
      new Option(
        '--workers <n>',
        'processes serving the port, to use more cores (limits such as --max-connections apply to each)',
      )
        .argParser(positive)
        .default(DEFAULTS.workers),
    )
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'rs-server: ')) });
}

export function optionsFrom(program: Command): ServerOptions {
  const o = program.opts();
  const name = (o.name as string | undefined) ?? hostname();
  if (name.includes('\n') || name.length === 0) throw new UsageError('--name must be a non-empty single line');
  return {
    port: (program.processedArgs[0] as number | undefined) ?? DEFAULTS.port,
    host: o.host as string | undefined,
    name,
    maxLineBytes: o.maxLineBytes as number,
    idleTimeoutMs: o.idleTimeout as number,
    maxConnections: o.maxConnections as number,
    keepAliveMs: o.keepalive as number,
    shutdownTimeoutMs: o.shutdownTimeout as number,
    logFormat: (o.logFormat as LogFormat | undefined) ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    logLevel: o.logLevel as ServerOptions['logLevel'],
    workers: o.workers as number,
  };
}
