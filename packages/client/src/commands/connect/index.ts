/** `lvs-client connect`: an interactive session on a terminal, scripted lines otherwise. */
import { durationArgument, type HostPort, hostPortArgument, wholeNumber } from '@lvs-drain-kit/common';
import type { Command } from 'commander';
import { wantColor } from '../../colors.js';
import { EXIT } from '../../errors.js';
import { defaultHistoryFile } from '../../history.js';
import { runInteractive } from '../../interactive.js';
import type { Protocol } from '../../link.js';
import { runScripted } from '../../scripted.js';
import { addCommand, type CliIO, type CommandContext, type CommandSpec } from '../command.js';
import { connectTimeout, crlf, maxLineBytes, noColor, udp } from '../options.js';

/** Upper bound of --retry: a typo must not start an endless reconnect loop. */
export const MAX_RETRIES = 100;

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

export const connectSpec: CommandSpec = {
  name: 'connect',
  summary: 'hold a connection and send lines (interactive on a terminal, scripted otherwise)',
  description:
    'Connect and send lines. On a terminal: an interactive session (/help inside). ' +
    'With stdin not a terminal: send each stdin line, print each reply to stdout, exit after the last reply.',
  arguments: [
    {
      name: '<host:port>',
      description: 'e.g. 172.16.0.100:2100, [::1]:2100, lb.example:2100',
      parse: hostPortArgument,
    },
  ],
  options: [
    udp,
    crlf,
    connectTimeout,
    {
      flags: '--timeout <duration>',
      description: 'scripted mode: fail when a reply takes longer than this',
      parse: durationArgument,
      default: 10_000,
      defaultText: '10s',
    },
    {
      flags: '--retry <n>',
      description: `extra connect attempts with back-off, 0-${MAX_RETRIES} (first connect and /reconnect)`,
      parse: wholeNumber(0, MAX_RETRIES),
      default: 0,
    },
    {
      flags: '--history-file <path>',
      description: `where typed lines are kept across runs (default ${defaultHistoryFile()})`,
    },
    { flags: '--no-history', description: 'keep no history file' },
    noColor,
    maxLineBytes,
  ],
  examples: [
    ['lvs-client connect 172.16.0.100:2100', 'a session through the VIP: type lines, see which server answers'],
    ["printf 'hello\\nshutdown\\n' | lvs-client connect 127.0.0.1:2100", 'scripted: each reply on stdout'],
  ],
  exitCodes: ['connect', 'timeout', 'dropped'],
};

export function connectInvocation(target: HostPort, o: Record<string, unknown>): ConnectInvocation {
  return {
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
}

export async function connect(inv: ConnectInvocation, io: CliIO): Promise<number> {
  if (io.stdin.isTTY) {
    await runInteractive(
      { ...inv, color: wantColor({ isTTY: io.stdout.isTTY, flag: inv.colorFlag }) },
      { input: io.stdin, output: io.stdout, stopped: io.stopped() },
    );
  } else {
    await runScripted(inv, { input: io.stdin, stdout: io.stdout, stderr: io.stderr });
  }
  return EXIT.ok;
}

export function register(program: Command, ctx: CommandContext): Command {
  return addCommand(program, connectSpec).action((target: HostPort, o: Record<string, unknown>) =>
    ctx.perform(connect, connectInvocation(target, o)),
  );
}
