import type { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { addDriverOptions, addOptions, readDriverFlags, readOptions } from '../../options/commander.js';
import { UNDRAIN_OPTIONS } from '../../options/drain.js';
import { abortOnSignals } from '../drain-test/signals.js';
import { exitCodesHelp, helpSection } from '../help.js';

/** `lvs-verify undrain SERVER`: the second half of a maintenance done by hand. */
export function register(program: Command): void {
  const command = program
    .command('undrain')
    .description(
      'put a drained real server back once it answers as itself (the weight from the journal, only over 0); new connections must reach it again',
    )
    .argument('<server>', 'the real server: the NAME of a --real, or HOST:PORT');
  addOptions(command, UNDRAIN_OPTIONS, { driver: addDriverOptions });
  command
    .addHelpText('after', helpSection('Examples', ['lvs-verify undrain rs1 --config cluster.yaml']))
    .addHelpText(
      'after',
      exitCodesHelp([
        [EXIT.pass, 'back at its weight, and new connections reach it'],
        [EXIT.checkFailed, 'new connections did not reach it after the restore'],
        [EXIT.usage, 'usage or config error (no journal entry and no --weight)'],
        [EXIT.restoreFailed, 'not put back: not healthy, the restore failed, or its weight is someone else’s now'],
      ]),
    )
    .action(async (server: string, _opts: unknown, cmd: Command) => {
      const controller = abortOnSignals((line) => process.stderr.write(`${line}\n`));
      const { undrainCommand } = await import('../drain/action.js');
      const { values, given } = readOptions(cmd, UNDRAIN_OPTIONS);
      process.exitCode = await undrainCommand(
        { server, flags: values, given, driverFlags: readDriverFlags(cmd) },
        { stdout: process.stdout, stderr: process.stderr, signal: controller.signal },
      );
    });
}
