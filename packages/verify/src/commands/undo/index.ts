/** `lvs-verify undo`: puts back what the journal lists. */
import { EXIT } from '../../errors.js';
import { journalPaths, SYSTEM_STATE_DIR } from '../../journal.js';
import { option } from '../../options/define.js';
import { defineCommand } from '../define.js';

export const register = defineCommand({
  name: 'undo',
  description: 'put back every drain the journal says is still applied (after a crash or --no-restore)',
  options: { journal: option<string>({ flag: '--journal <file>', help: 'journal file', hidden: true }) },
  sections: [
    [
      'Journals',
      // Read when --help is shown: the paths depend on the user and the environment.
      () => [
        'drain-test writes each drain to a journal before it is applied: as root (sudo included) to the',
        `system-wide ${SYSTEM_STATE_DIR}/journal.json, as another account to`,
        '~/.local/state/lvs-drain-kit/journal.json; $LVS_VERIFY_STATE_DIR or $XDG_STATE_HOME name another',
        'state directory, which is then the only one. undo reads them all:',
        ...journalPaths().map((p) => `  ${p}`),
        "A drain whose run still goes on (its PID and start time) is left to that run. Root's journal",
        'can be read by root only: `sudo lvs-verify undo`.',
      ],
    ],
  ],
  examples: ['lvs-verify undo'],
  exitCodes: [
    [EXIT.pass, 'every listed drain was put back (or none was listed)'],
    [EXIT.usage, 'usage error'],
    [EXIT.restoreFailed, 'a listed drain could not be put back, or a journal could not be read'],
  ],
  async action({ flags, io }) {
    const { undoDrains } = await import('../../undo.js');
    const r = await undoDrains({
      ...(flags.journal ? { journalPath: flags.journal } : {}),
      onLine: (line) => io.stdout.write(`${line}\n`),
    });
    return r.failed.length > 0 || r.unreadable.length > 0 ? EXIT.restoreFailed : EXIT.pass;
  },
});
