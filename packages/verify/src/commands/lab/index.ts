/** `lvs-verify lab up|down|status|exec|ipvsadm`: the same commands for every engine of the lab's table. */
import { wholeNumber } from '@lvs-drain-kit/common';
import { ENGINES, LAB_ENGINES, LAB_SCHEDULERS, type LabEngine } from '@lvs-drain-kit/lab';
import { type Command, Option } from 'commander';
import { type LabSetupFlags, labSetup } from '../../lab-engines.js';
import { helpRows, helpSection } from '../help.js';
import { registerRestartReal } from './restart-real.js';

type Out = (line: string) => void;
const out: Out = (line) => process.stdout.write(`${line}\n`);
const err: Out = (line) => process.stderr.write(`${line}\n`);

const EXAMPLES = [
  'npx lvs-verify lab up                       # builtin: no root',
  'npx lvs-verify lab exec --director -- ipvsadm -L -n',
  'sudo npx lvs-verify lab up --engine ipvs',
  'sudo npx lvs-verify lab up --engine ipvs --scheduler wrr --persistent 300   # a persistent service',
  'sudo npx lvs-verify lab up --engine haproxy --scheduler source',
  'sudo npx lvs-verify lab exec --engine ipvs --director -- sysctl net.ipv4.vs.conn_reuse_mode',
];

export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description('start, inspect and stop labs (builtin needs no root)')
    .addHelpText(
      'after',
      helpSection('Engines (--engine)', helpRows(LAB_ENGINES.map((e) => [e, ENGINES[e].description]))),
    )
    .addHelpText('after', helpSection('Examples', EXAMPLES));
  const engine = () =>
    new Option('--engine <engine>', 'the lab engine (see `lvs-verify lab --help`)')
      .choices(LAB_ENGINES)
      .default('builtin');
  // Each command loads its own modules: start-up time matters for a tool run in loops and tests.
  const actions = () => import('./actions.js');
  lab
    .command('up')
    .description('start a lab and leave it running')
    .addOption(engine())
    .addOption(schedulerOption())
    .addOption(persistentOption())
    .addOption(schedulerFlagsOption())
    .addHelpText('after', helpSection('Schedulers (--scheduler)', SCHEDULER_HELP))
    .action(async (f: { engine: LabEngine } & LabSetupFlags) => {
      process.exitCode = await (await actions()).labUp(f.engine, out, labSetup(f));
    });
  const engineCommands = [
    ['down', 'stop the lab and remove everything it made', 'labDown'],
    ['status', 'show what is up', 'labStatus'],
  ] as const;
  for (const [name, description, action] of engineCommands) {
    // down and status take only the engine.
    lab
      .command(name)
      .description(description)
      .addOption(engine())
      .action(async (f: { engine: LabEngine }) => {
        process.exitCode = await (await actions())[action](f.engine, out);
      });
  }
  lab
    .command('exec')
    .description(
      'run a command where the lab clients run (the client namespace; builtin: this host), or with --director on the director',
    )
    .addOption(engine())
    .option(
      '--director',
      'run it on the director: its namespace (nft, haproxy), the VM over its serial channel (ipvs), the ipvsadm control port (builtin)',
    )
    .argument('<command...>', 'the command (after --)')
    .action(async (command: string[], f: { engine: LabEngine; director?: boolean }) => {
      process.exitCode = await (await actions()).labExec(f.engine, command, f.director ?? false, out, err);
    });
  lab
    .command('ipvsadm')
    .description('run ipvsadm arguments on the lab director (= lab exec --director -- ipvsadm ARGS)')
    .addOption(engine())
    .option('--control <HOST:PORT>', 'a builtin director control port (default: the lab started by `lab up`)')
    .argument('[args...]', 'ipvsadm arguments (after --)')
    .action(async (args: string[], f: { engine: LabEngine; control?: string }) => {
      process.exitCode = await (await actions()).labIpvsadm(f.engine, f.control, args, out, err);
    });
  registerRestartReal(lab);
}

/** How each engine can schedule, for --help: the first of each is its default. */
export const SCHEDULER_HELP = helpRows(
  LAB_ENGINES.map((e) => [e, `${LAB_SCHEDULERS[e].join(', ')} (default ${LAB_SCHEDULERS[e][0]})`]),
);

const schedulerOption = () =>
  new Option(
    '--scheduler <name>',
    "how the director picks a server: ipvsadm -s, nft's hash, HAProxy's balance (see below)",
  );
const persistentOption = () =>
  new Option('--persistent <seconds>', 'ipvs, builtin: a persistent service (ipvsadm -p SECONDS)').argParser(
    wholeNumber(1, 86_400),
  );
const schedulerFlagsOption = () =>
  new Option('--sched-flags <list>', 'ipvs: scheduler flags (ipvsadm -b), e.g. sh-fallback,sh-port');
