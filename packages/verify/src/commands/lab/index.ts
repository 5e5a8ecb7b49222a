import { type Command, Option } from 'commander';

type Out = (line: string) => void;
const out: Out = (line) => process.stdout.write(`${line}\n`);
const err: Out = (line) => process.stderr.write(`${line}\n`);

/** `lvs-verify lab up|down|status|exec|ipvsadm`. */
export function register(program: Command): void {
  const lab = program.command('lab').description('start, inspect and stop labs (builtin needs no root)');
  const engine = () =>
    new Option('--engine <engine>', 'builtin (userspace, no root), ipvs (qemu VM), nft, haproxy')
      .choices(['builtin', 'ipvs', 'nft', 'haproxy'])
      .default('builtin');
  // Each command loads its own modules: start-up time matters for a tool run in loops and tests.
  const actions = () => import('./actions.js');
  const engineCommands = [
    ['up', 'start a lab and leave it running', 'labUp'],
    ['down', 'stop the lab and remove everything it made', 'labDown'],
    ['status', 'show what is up', 'labStatus'],
  ] as const;
  for (const [name, description, action] of engineCommands) {
    lab
      .command(name)
      .description(description)
      .addOption(engine())
      .action(async (f: { engine: string }) => {
        process.exitCode = await (await actions())[action](f.engine, out);
      });
  }
  lab
    .command('exec')
    .description('run a command in the lab client namespace')
    .addOption(engine())
    .argument('<command...>', 'the command (after --)')
    .action(async (command: string[], f: { engine: string }) => {
      process.exitCode = await (await actions()).labExec(f.engine, command);
    });
  lab
    .command('ipvsadm')
    .description('run ipvsadm arguments against the builtin lab director')
    .option('--control <HOST:PORT>', 'control port (default: the lab started by `lvs-verify lab up`)')
    .argument('[args...]', 'ipvsadm arguments (after --)')
    .action(async (args: string[], f: { control?: string }) => {
      process.exitCode = await (await actions()).labIpvsadm(f.control, args, out, err);
    });
}
