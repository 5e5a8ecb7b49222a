import type { Command } from 'commander';
import { Option } from 'commander';
import { EXIT, EXIT_HELP } from '../../errors.js';
import { defaultJournalPath } from '../../journal.js';
import { helpRows, helpSection } from '../help.js';

/** `lvs-verify undo`: puts back what the journal lists. */
export function register(program: Command): void {
  program
    .command('undo')
    .description('put back every drain the journal says is still applied (after a crash or --no-restore)')
    .addOption(new Option('--journal <file>', 'journal file').hideHelp())
    .addHelpText('after', () =>
      helpSection('Journal', [
        '$LVS_VERIFY_STATE_DIR/journal.json, else $XDG_STATE_HOME/lvs-drain-kit/journal.json,',
        'else ~/.local/state/lvs-drain-kit/journal.json — the one drain-test writes before each drain',
        `(here: ${defaultJournalPath()})`,
      ]),
    )
    .addHelpText('after', helpSection('Examples', ['lvs-verify undo']))
    .addHelpText(
      'after',
      helpSection(
        'Exit codes',
        helpRows([
          [EXIT.pass, 'every listed drain was put back (or none was listed)'],
          [EXIT.usage, 'usage error'],
          [EXIT.restoreFailed, EXIT_HELP.find(([c]) => c === EXIT.restoreFailed)![1]],
        ]),
      ),
    )
    .action(async (flags: { journal?: string }) => {
      const { undoDrains } = await import('../../undo.js');
      const r = await undoDrains({
        ...(flags.journal ? { journalPath: flags.journal } : {}),
        onLine: (line) => process.stdout.write(`${line}\n`),
      });
      process.exitCode = r.failed.length > 0 ? EXIT.restoreFailed : EXIT.pass;
    });
}
