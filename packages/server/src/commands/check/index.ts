/**
 * `rs-server check`: keepalived's MISC_CHECK with misc_dynamic. keepalived reads the exit status: 0 up
 * with the weight unchanged, 1 down, 2-255 up with weight status-2 (keepalived.conf(5), check_misc.c).
 * So draining exits 2 (weight 0), and ready exits 0 — or, with --weight W, W+2: after a drain set the
 * weight to 0, only an exit of W+2 gives the weight back (0 leaves it at 0).
 * keepalived runs it on the director: it asks the real server's agent port over the network (--agent);
 * --ctl is for a check on the real server itself.
 */
import { durationArgument, formatHostPort, hostPortArgument, wholeNumber } from '@lvs-drain-kit/common';
import type { Command } from 'commander';
import { askAgent, stateFromAgentReply } from '../../agent.js';
import { askControl } from '../../control/client.js';
import { CommandUsageError } from '../../errors.js';
import { commanderOptions, flag, flagValues, toggle } from '../../options/flag.js';
import { CTL_FLAG } from '../../options/serve.js';
import type { ServingState } from '../../state.js';

export const CHECK_EXIT = { ready: 0, down: 1, draining: 2 } as const;

/** misc_dynamic's largest weight: exit statuses stop at 255. */
export const MAX_CHECK_WEIGHT = 253;

export const CHECK_FLAGS = {
  agent: flag({
    flags: '--agent <HOST:PORT>',
    description: "the real server's agent port (rs-server --agent-port), asked over the network",
    parse: hostPortArgument,
  }),
  ctlPath: CTL_FLAG,
  weight: flag({
    flags: '--weight <n>',
    description: `when ready, exit n+2 so keepalived (misc_dynamic) sets weight n again after a drain (0-${MAX_CHECK_WEIGHT})`,
    parse: wholeNumber(0, MAX_CHECK_WEIGHT),
  }),
  timeoutMs: flag({
    flags: '--timeout <duration>',
    description: 'an answer later than this is "down" (keep it below misc_timeout)',
    parse: durationArgument,
    default: 2_000,
    defaultText: '2s',
  }),
  quiet: toggle('--quiet', 'print nothing (keepalived reads only the exit status)'),
} as const;

const HELP = `
Exit status (keepalived MISC_CHECK with misc_dynamic):
  0      ready (keepalived keeps the weight) — or n+2 with --weight n: weight n
  2      draining: weight 0, open connections go on
  1      down: in maintenance, stopping, not running, or any error (bad flags too: never a silent drain)

keepalived.conf (on the director; the real server runs rs-server --agent-port 2101):
  real_server 172.16.0.111 2100 {
    weight 1
    MISC_CHECK {
      misc_path "/usr/local/bin/rs-server check --agent 172.16.0.111:2101 --weight 1 --quiet"
      misc_timeout 3
      misc_dynamic
    }
  }
With --ctl (a check on the real server itself), run it as the user that runs rs-server, or root.`;

/** The exit status for an answer (pure). */
export function checkExitCode(state: ServingState | 'down' | undefined, weight: number | undefined): number {
  switch (state) {
    case 'ready':
      return weight === undefined ? CHECK_EXIT.ready : weight + 2;
    case 'drain':
      return CHECK_EXIT.draining;
    default:
      return CHECK_EXIT.down;
  }
}

export function register(program: Command): void {
  const command = program
    .command('check')
    .summary("keepalived's MISC_CHECK (misc_dynamic): exit 0 ready, 2 draining, 1 down")
    .description('Asks a running rs-server for its state and exits as keepalived misc_dynamic expects.')
    .addHelpText('after', HELP)
    // A typo in keepalived.conf must read as "down", not as exit 2 (= weight 0) or a silent success.
    .exitOverride((err) => {
      if (err.exitCode === 0) throw err;
      throw new CommandUsageError(CHECK_EXIT.down, err.code, err.message);
    });
  for (const option of commanderOptions(CHECK_FLAGS)) command.addOption(option);
  command.action(async (parsed: Record<string, unknown>) => {
    const flags = flagValues(CHECK_FLAGS, parsed);
    const say = (text: string) => {
      if (!flags.quiet) process.stdout.write(`${text}\n`);
    };
    const fail = (text: string) => {
      process.stderr.write(`rs-server: ${text}\n`);
      process.exitCode = CHECK_EXIT.down;
    };
    if ((flags.ctlPath === undefined) === (flags.agent === undefined)) {
      return fail('check needs one of --agent HOST:PORT or --ctl PATH');
    }
    let state: ServingState | 'down';
    let detail = '';
    try {
      if (flags.agent) {
        const reply = await askAgent(flags.agent, flags.timeoutMs);
        state = stateFromAgentReply(reply);
        detail = ` (agent ${formatHostPort(flags.agent)}: ${JSON.stringify(reply)})`;
      } else {
        const answer = await askControl(flags.ctlPath!, { kind: 'check' }, flags.timeoutMs);
        state = answer.ok ? answer.state : 'down';
        if (answer.ok && answer.terminating) detail = ' (stopping)';
        if (!answer.ok) detail = `: ${answer.error}`;
      }
    } catch (err) {
      say(`down: ${(err as Error).message}`);
      process.exitCode = CHECK_EXIT.down;
      return;
    }
    process.exitCode = checkExitCode(state, flags.weight);
    say(`${state}${detail}`);
  });
}
