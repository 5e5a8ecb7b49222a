/** `rs-server ctl drain|ready|maint|status|weight N`: asks a running server over its control socket. */
import { durationArgument } from '@lvs-drain-kit/common';
import type { Command } from 'commander';
import { askControl } from '../../control/client.js';
import { type ControlAnswer, type ControlRequest, parseControlRequest } from '../../control/protocol.js';
import { ControlRefusedError, UsageError } from '../../errors.js';
import { commanderOptions, flag, flagValues, toggle } from '../../options/flag.js';
import { CTL_FLAG } from '../../options/serve.js';

export const CTL_FLAGS = {
  ctlPath: CTL_FLAG,
  json: toggle('--json', 'print the answer as one JSON object'),
  timeoutMs: flag({
    flags: '--timeout <duration>',
    description: 'give up waiting for the server after this long',
    parse: durationArgument,
    default: 2_000,
    defaultText: '2s',
  }),
} as const;

const EXAMPLES = `
Requests:
  status             the state, the open connections, since when and by whom
  drain              ask health checkers for weight 0; open connections go on
  ready              back in: take new connections
  maint              ask to be taken out (HAProxy: MAINT; keepalived check: down)
  weight 0-256|none  the weight percentage the agent advertises while ready (none: HAProxy keeps its own)

Examples:
  rs-server ctl drain --ctl /run/rs-server/ctl.sock
  RS_SERVER_CTL=/run/rs-server/ctl.sock rs-server ctl status --json

The socket is its owner's only: run ctl as the user that runs rs-server (or root).
Exit codes: 0 done, 2 bad request, 3 socket unreachable, 4 refused (the server is stopping).`;

/** One line for people. */
export function formatAnswer(a: ControlAnswer & { ok: true }): string {
  const change = a.previous !== undefined && a.previous !== a.state ? ` (was ${a.previous})` : '';
  const weight = a.weightPercent === null ? '' : `, agent weight ${a.weightPercent}%`;
  const open = a.open === null ? '' : `, ${a.open} connection${a.open === 1 ? '' : 's'} open`;
  const stopping = a.terminating ? ', stopping' : '';
  return `rs-server ${a.pid}: ${a.state}${change}${weight}${open}${stopping}; since ${a.since} (${a.by})`;
}

export function register(program: Command): void {
  const command = program
    .command('ctl')
    .summary('drain, ready, maint or status of a running rs-server (control socket)')
    .description('Changes or shows the drain state of a running rs-server started with --ctl.')
    .argument('<request>', 'status, drain, ready, maint or weight')
    .argument('[value]', 'for weight: 0-256 (percent) or none')
    .addHelpText('after', EXAMPLES);
  for (const option of commanderOptions(CTL_FLAGS)) command.addOption(option);
  command.action(async (verb: string, value: string | undefined, parsed: Record<string, unknown>) => {
    const flags = flagValues(CTL_FLAGS, parsed);
    if (flags.ctlPath === undefined) throw new UsageError('ctl needs --ctl PATH (or RS_SERVER_CTL)');
    let request: ControlRequest;
    try {
      request = parseControlRequest(value === undefined ? verb : `${verb} ${value}`);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (request.kind === 'check') throw new UsageError('"check" is for health checkers: use `rs-server check`');
    const answer = await askControl(flags.ctlPath, request, flags.timeoutMs);
    if (!answer.ok) throw new ControlRefusedError(answer.error);
    process.stdout.write(flags.json ? `${JSON.stringify(answer)}\n` : `${formatAnswer(answer)}\n`);
  });
}
