/** `lvs-verify drain SERVER [--wait]`: the first half of a maintenance done by hand. */
import { EXIT } from '../../errors.js';
import { DRAIN_OPTIONS } from '../../options/drain.js';
import { defineCommand } from '../define.js';

export const register = defineCommand({
  name: 'drain',
  description: 'drain one real server (and with --wait, wait until it is empty); it stays drained, on the journal',
  argument: ['<server>', 'the real server: the NAME of a --real, or HOST:PORT'],
  options: DRAIN_OPTIONS,
  examples: [
    'lvs-verify drain rs1 --wait --config cluster.yaml   # then do the work, then:',
    'lvs-verify undrain rs1 --config cluster.yaml',
  ],
  exitCodes: [
    [EXIT.pass, 'drained (and empty, with --wait); it stays at weight 0 until `undrain` or `undo`'],
    [EXIT.checkFailed, 'not empty in time (--on-timeout abort): put back'],
    [EXIT.usage, 'usage or config error'],
    [EXIT.environment, 'refused before anything changed (capacity, --min-serving, unreachable director)'],
    [EXIT.restoreFailed, 'a put-back after a failure did not work: the server may still be drained'],
    [EXIT.sigint, 'interrupted by SIGINT; the server was put back first'],
  ],
  catchesSignals: true,
  action: async (input) => (await import('./action.js')).drainCommand(input),
});
