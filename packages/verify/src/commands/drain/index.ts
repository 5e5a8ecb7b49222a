import type { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { addDriverOptions, addOptions, readDriverFlags, readOptions } from '../../options/commander.js';
import { DRAIN_OPTIONS } from '../../options/drain.js';
import { abortOnSignals } from '../drain-test/signals.js';
import { exitCodesHelp, helpSection } from '../help.js';

/** `lvs-verify drain SERVER [--wait]`: the first half of a maintenance done by hand. */
export function register(program: Command): void {
  const command = program
    .command('drain')
    .description('drain one real server (and with --wait, wait until it is empty); it stays drained, on the journal')
    .argument('<server>', 'the real server: the NAME of a --real, or HOST:PORT');
  addOptions(command, DRAIN_OPTIONS, { driver: addDriverOptions });
  command
    .addHelpText(
      'after',
      helpSection('Examples', [
        'lvs-verify drain rs1 --wait --config cluster.yaml   # then do the work, then:',
        'lvs-verify undrain rs1 --config cluster.yaml',
      ]),
    )
    .addHelpText(
      'after',
      exitCodesHelp([
        [EXIT.pass, 'drained (and empty, with --wait); it stays at weight 0 until `undrain` or `undo`'],
        [EXIT.checkFailed, 'not empty in time (--on-timeout abort): put back'],
        [EXIT.usage, 'usage or config error'],
        [EXIT.environment, 'refused before anything changed (capacity, --min-serving, unreachable director)'],
        [EXIT.restoreFailed, 'a put-back after a failure did not work: the server may still be drained'],
        [EXIT.sigint, 'interrupted by SIGINT; the server was put back first'],
      ]),
    )
    .action(async (server: string, _opts: unknown, cmd: Command) => {
      const controller = abortOnSignals((line) => process.stderr.write(`${line}\n`));
      const { drainCommand } = await import('./action.js');
      const { values, given } = readOptions(cmd, DRAIN_OPTIONS);
      process.exitCode = await drainCommand(
        { server, flags: values, given, driverFlags: readDriverFlags(cmd) },
        { stdout: process.stdout, stderr: process.stderr, signal: controller.signal },
      );
    });
}
