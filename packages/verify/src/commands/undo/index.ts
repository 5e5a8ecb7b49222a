/** `lvs-verify undo`: puts back what the journal lists. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { EXIT } from '../../errors.js';
import { journalPaths, SYSTEM_STATE_DIR } from '../../journal.js';
import { exitCodesHelp, helpSection } from '../help.js';

export function register(program: Command): void {
  program
    .command('undo')
    .description('put back every drain the journal says is still applied (after a crash or --no-restore)')
    .addOption(new Option('--journal <file>', 'journal file').hideHelp())
    .addHelpText('after', () =>
      helpSection('Journals', [
        'drain-test writes each drain to a journal before it is applied: as root (sudo included) to the',
        `system-wide ${SYSTEM_STATE_DIR}/journal.json, as another account to`,
        '~/.local/state/lvs-drain-kit/journal.json; $LVS_VERIFY_STATE_DIR or $XDG_STATE_HOME name another',
        'state directory, which is then the only one. undo reads them all:',
        ...journalPaths().map((p) => `  ${p}`),
        "A drain whose run still goes on (its PID and start time) is left to that run. Root's journal",
        'can be read by root only: `sudo lvs-verify undo`.',
      ]),
    )
    .addHelpText('after', helpSection('Examples', ['lvs-verify undo']))
    .addHelpText(
      'after',
      exitCodesHelp([
        [EXIT.pass, 'every listed drain was put back (or none was listed)'],
        [EXIT.usage, 'usage error'],
        [EXIT.restoreFailed, 'a listed drain could not be put back, or a journal could not be read'],
      ]),
    )
    .action(async (flags: { journal?: string }) => {
      const { undoDrains } = await import('../../undo.js');
      const r = await undoDrains({
        ...(flags.journal ? { journalPath: flags.journal } : {}),
        onLine: (line) => process.stdout.write(`${line}\n`),
      });
      process.exitCode = r.failed.length > 0 || r.unreadable.length > 0 ? EXIT.restoreFailed : EXIT.pass;
    });
}
