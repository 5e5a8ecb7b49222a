/** `lvs-client listen`: SocketTest's server mode. */
import { portArgument } from '@lvs-drain-kit/common';
import type { Command } from 'commander';
import { wantColor } from '../../colors.js';
import { EXIT } from '../../errors.js';
import type { Protocol } from '../../link.js';
import { runListen } from '../../listen-session.js';
import { addCommand, type CliIO, type CommandContext, type CommandSpec } from '../command.js';
import { crlf, maxLineBytes, noColor, udp } from '../options.js';

export interface ListenInvocation {
  command: 'listen';
  port: number;
  host: string | undefined;
  protocol: Protocol;
  crlf: boolean;
  colorFlag: boolean;
  maxLineBytes: number;
}

export const listenSpec: CommandSpec = {
  name: 'listen',
  summary: "accept clients and talk to them (SocketTest's server mode)",
  description:
    "SocketTest's server mode: accept clients, show each client's lines with its address, " +
    'send typed lines to the selected client (/to N, /clients).',
  arguments: [
    { name: '<port>', description: 'port to listen on (0 picks a free one)', parse: portArgument({ allowZero: true }) },
  ],
  options: [
    { flags: '--host <address>', description: 'address to listen on (default: every address)' },
    udp,
    crlf,
    noColor,
    maxLineBytes,
  ],
  examples: [
    ['lvs-client listen 2100', 'stand in for a real server: see what the director sends'],
    ['lvs-client listen 0 --host 127.0.0.1 --udp', 'UDP on a free loopback port (printed on start)'],
  ],
  exitCodes: ['listen'],
};

export function listenInvocation(port: number, o: Record<string, unknown>): ListenInvocation {
  return {
    command: 'listen',
    port,
    host: o.host as string | undefined,
    protocol: o.udp ? 'udp' : 'tcp',
    crlf: o.crlf === true,
    colorFlag: o.color !== false,
    maxLineBytes: o.maxLineBytes as number,
  };
}

export async function listen(inv: ListenInvocation, io: CliIO): Promise<number> {
  await runListen(
    {
      ...inv,
      interactive: io.stdin.isTTY === true,
      color: wantColor({ isTTY: io.stdout.isTTY, flag: inv.colorFlag }),
    },
    { input: io.stdin, output: io.stdout, messages: io.stderr, stopped: io.stopped() },
  );
  return EXIT.ok;
}

export function register(program: Command, ctx: CommandContext): Command {
  return addCommand(program, listenSpec).action((port: number, o: Record<string, unknown>) =>
    ctx.perform(listen, listenInvocation(port, o)),
  );
}
