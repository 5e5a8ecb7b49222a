/** `lvs-verify undrain SERVER`: the second half of a maintenance done by hand. */
import { EXIT } from '../../errors.js';
import { UNDRAIN_OPTIONS } from '../../options/drain.js';
import { defineCommand } from '../define.js';

export const register = defineCommand({
  name: 'undrain',
  description:
    'put a drained real server back once it answers as itself (the weight from the journal, only over 0); new connections must reach it again',
  argument: ['<server>', 'the real server: the NAME of a --real, or HOST:PORT'],
  options: UNDRAIN_OPTIONS,
  examples: ['lvs-verify undrain rs1 --config cluster.yaml'],
  exitCodes: [
    [EXIT.pass, 'back at its weight, and new connections reach it'],
    [EXIT.checkFailed, 'new connections did not reach it after the restore'],
    [EXIT.usage, 'usage or config error (no journal entry and no --weight)'],
    [EXIT.restoreFailed, 'not put back: not healthy, the restore failed, or its weight is someone else’s now'],
  ],
  catchesSignals: true,
  action: async (input) => (await import('../drain/action.js')).undrainCommand(input),
});
