/** The lvs-client command line: flags, their checks, and the plain options they make. */
import {
  DEFAULT_MAX_LINE_BYTES,
  durationArgument,
  type HostPort,
  hostPortArgument,
  portArgument,
  wholeNumber,
} from '@lvs-drain-kit/common';
import { Command, Option } from 'commander';
import { EXIT_HELP, UsageError } from './errors.js';
import { defaultHistoryFile } from './history.js';
import type { Protocol } from './link.js';
import type { ProbeOptions } from './probe.js';

export interface ConnectInvocation {
  command: 'connect';
  target: HostPort;
  protocol: Protocol;
  crlf: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
  retries: number;
  /** undefined: --no-history. */
  historyFile: string | undefined;
  /** false when --no-color was given; the terminal and NO_COLOR decide the rest. */
  colorFlag: boolean;
  maxLineBytes: number;
}

export interface ProbeInvocation extends Omit<ProbeOptions, 'onSample' | 'signal'> {
  command: 'probe';
  json: boolean;
  colorFlag: boolean;
}

export interface ListenInvocation {
  command: 'listen';
  port: number;
  host: string | undefined;
  protocol: Protocol;
  crlf: boolean;
  colorFlag: boolean;
  maxLineBytes: number;
}

export type Invocation = ConnectInvocation | ProbeInvocation | ListenInvocation;

/** Upper bounds: probes are a bounded load loop, whatever is typed. */
export const MAX_PROBES = 1_000_000;
export const MAX_RETRIES = 100;

const connectTimeout = () =>
  new Option('--connect-timeout <duration>', 'give up connecting after this long')
    .argParser(durationArgument)
    .default(5_000, '5s');
const noColor = () => new Option('--no-color', 'no colours (also: NO_COLOR set, or output not a terminal)');
const maxLine = () =>
  new Option('--max-line-bytes <bytes>', 'longest line accepted from the peer')
    .argParser(wholeNumber(1, 1 << 30))
    .default(DEFAULT_MAX_LINE_BYTES, '65536');

/**
 * Parses argv into an `Invocation`. Throws commander's `CommanderError` for
 * --help, --version and bad flags (it has printed the message already), or
 * `UsageError`.
 */
export function parseArgs(argv: string[], write?: { out(s: string): void; err(s: string): void }): Invocation {
  let invocation: Invocation | undefined;
  const program = new Command()
    .name('lvs-client')
    .description(
      'A SocketTest-style TCP/UDP client for the terminal: hold a connection to an LVS virtual service, ' +
        'send lines, see which real server answers.',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => (write ? write.out(s) : process.stdout.write(s)),
      writeErr: (s) => (write ? write.err(s) : process.stderr.write(s)),
      outputError: (str, w) => w(str.replace(/^error: /, 'lvs-client: ')),
    })
    .showSuggestionAfterError()
    .addHelpText('after', `\nExit codes:\n${EXIT_HELP.map(([code, what]) => `  ${code}  ${what}`).join('\n')}`);

  program
    .command('connect')
    .description(
      'Connect and send lines. On a terminal: an interactive session (/help inside). ' +
        'With stdin not a terminal: send each stdin line, print each reply to stdout, exit after the last reply.',
    )
    .argument('<host:port>', 'e.g. 172.16.0.100:2100, [::1]:2100, lb.example:2100', hostPortArgument)
    .option('--udp', 'UDP: one datagram per line')
    .option('--crlf', 'end sent lines with \\r\\n instead of \\n')
    .addOption(connectTimeout())
    .addOption(
      new Option('--timeout <duration>', 'scripted mode: fail when a reply takes longer than this')
        .argParser(durationArgument)
        .default(10_000, '10s'),
    )
    .addOption(
      new Option('--retry <n>', 'extra connect attempts with back-off (first connect and /reconnect)')
        .argParser(wholeNumber(0, MAX_RETRIES))
        .default(0),
    )
    .option('--history-file <path>', `where typed lines are kept across runs (default ${defaultHistoryFile()})`)
    .option('--no-history', 'keep no history file')
    .addOption(noColor())
    .addOption(maxLine())
    .action((target: HostPort, o: Record<string, unknown>) => {
      invocation = {
        command: 'connect',
        target,
        protocol: o.udp ? 'udp' : 'tcp',
        crlf: o.crlf === true,
        connectTimeoutMs: o.connectTimeout as number,
        timeoutMs: o.timeout as number,
        retries: o.retry as number,
        historyFile: o.history === false ? undefined : ((o.historyFile as string | undefined) ?? defaultHistoryFile()),
        colorFlag: o.color !== false,
        maxLineBytes: o.maxLineBytes as number,
      };
    });

  program
    .command('probe')
    .description(
      'Send COUNT probes and report which server answered each, replies per server, and connect/round-trip ' +
        'latency (p50/p99). With several targets, probes go to each in turn.',
    )
    .argument('<host:port...>', 'the virtual service (or several servers)', (v: string, prev: HostPort[] = []) => [
      ...prev,
      hostPortArgument(v),
    ])
    .addOption(new Option('--count <n>', 'number of probes').argParser(wholeNumber(1, MAX_PROBES)).default(10))
    .addOption(
      new Option('--interval <duration>', 'pause between probes').argParser(durationArgument).default(200, '200ms'),
    )
    .addOption(
      new Option('--new-connection-each', 'a new connection per probe: what new clients see (default)').conflicts(
        'sameConnection',
      ),
    )
    .addOption(new Option('--same-connection', 'every probe on one held connection: what an open client sees'))
    .option('--line <text>', 'the line each probe sends', 'hello')
    .addOption(connectTimeout())
    .addOption(
      new Option('--timeout <duration>', 'wait this long for each reply')
        .argParser(durationArgument)
        .default(2_000, '2s'),
    )
    .option('--json', 'print the result as JSON (samples included) instead of text')
    .addOption(noColor())
    .action((targets: HostPort[], o: Record<string, unknown>) => {
      const line = o.line as string;
      if (/[\r\n]/.test(line)) throw new UsageError('--line must be a single line');
      invocation = {
        command: 'probe',
        targets,
        count: o.count as number,
        intervalMs: o.interval as number,
        mode: o.sameConnection ? 'same-connection' : 'new-connection-each',
        line,
        connectTimeoutMs: o.connectTimeout as number,
        timeoutMs: o.timeout as number,
        json: o.json === true,
        colorFlag: o.color !== false,
      };
    });

  program
    .command('listen')
    .description(
      "SocketTest's server mode: accept clients, show each client's lines with its address, " +
        'send typed lines to the selected client (/to N, /clients).',
    )
    .argument('<port>', 'port to listen on (0 picks a free one)', portArgument({ allowZero: true }))
    .option('--host <address>', 'address to listen on (default: every address)')
    .option('--udp', 'UDP: one datagram per line')
    .option('--crlf', 'end sent lines with \\r\\n instead of \\n')
    .addOption(noColor())
    .addOption(maxLine())
    .action((port: number, o: Record<string, unknown>) => {
      invocation = {
        command: 'listen',
        port,
        host: o.host as string | undefined,
        protocol: o.udp ? 'udp' : 'tcp',
        crlf: o.crlf === true,
        colorFlag: o.color !== false,
        maxLineBytes: o.maxLineBytes as number,
      };
    });

  program.parse(argv, { from: 'user' });
  if (!invocation) throw new UsageError('missing command: connect, probe or listen (see --help)');
  return invocation;
}
