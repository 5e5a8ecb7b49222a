import { DRIVERS } from '@lvs-drain-kit/drivers';
import type { Command } from 'commander';
import { MAINTAIN_EXIT_HELP } from '../../errors.js';
import { addDriverOptions, addOptions, readDriverFlags, readOptions } from '../../options/commander.js';
import { MAINTAIN_OPTIONS } from '../../options/maintain.js';
import { abortOnSignals } from '../drain-test/signals.js';
import { exitCodesHelp, helpRows, helpSection } from '../help.js';

const EXAMPLES = [
  '# every real server in turn: drain, wait until empty, restart it, healthy, back',
  'lvs-verify maintain --config cluster.yaml --exec "ssh root@{rip} systemctl restart rs-server"',
  '# one server (a fleet tool runs one per host), waiting at most 10 minutes for its clients',
  'lvs-verify maintain --config cluster.yaml --only rs1 --drain-timeout 10m --exec "ssh root@{rip} apt-get -y upgrade" --json',
];

const STEPS = [
  'capacity  re-read the director: the server has a weight, --min-serving others keep theirs',
  'drain     weight 0, read back; recorded on the journal first (`lvs-verify undo`)',
  "wait      until the director holds none of its connections (the sampler's own do not count)",
  'exec      the work (--exec), output kept for the report',
  'healthy   it answers directly, with its own name (else it stays drained: exit 4)',
  'restore   the original weight, only over the 0 this run set',
  'return    a new connection through the VIP reaches it again; then the next server',
  'All along: new connections at --rate and --long-lived ones through the VIP; any failed request',
  'fails the run and stops it before the next server.',
];

/** `lvs-verify maintain`: its options from the option and driver tables, its help, and its action. */
export function register(program: Command): void {
  const command = program
    .command('maintain')
    .description(
      'rolling maintenance: every real server in turn drained, emptied, worked on, checked and put back, with live traffic proving no request failed',
    );
  addOptions(command, MAINTAIN_OPTIONS, { driver: addDriverOptions });
  command
    .addHelpText('after', helpSection('Per server', STEPS))
    .addHelpText('after', helpSection('Drivers (--driver)', helpRows(DRIVERS.map((d) => [d.kind, d.description]))))
    .addHelpText('after', helpSection('Durations', ['500ms, 5s, 2m or 1h']))
    .addHelpText('after', helpSection('Examples', EXAMPLES))
    .addHelpText('after', exitCodesHelp(MAINTAIN_EXIT_HELP))
    .action(async (_opts: unknown, cmd: Command) => {
      const controller = abortOnSignals((line) => process.stderr.write(`${line}\n`));
      // The run's modules load only for a run: start-up time matters for a tool run in loops and tests.
      const { maintainCommand } = await import('./action.js');
      const { values, given } = readOptions(cmd, MAINTAIN_OPTIONS);
      process.exitCode = await maintainCommand(
        { flags: values, given, driverFlags: readDriverFlags(cmd) },
        { stdout: process.stdout, stderr: process.stderr, signal: controller.signal },
      );
    });
}
