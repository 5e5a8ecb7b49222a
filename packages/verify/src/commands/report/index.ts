/** `lvs-verify report FILE.json [--html OUT]`: a saved drain-test report shown again. */
import { EXIT } from '../../errors.js';
import { option } from '../../options/define.js';
import { defineCommand } from '../define.js';

export const register = defineCommand({
  name: 'report',
  description: 'show a saved drain-test --json report again: as text, or as the HTML timeline with --html',
  argument: ['<file>', 'the JSON report (drain-test --json > FILE)'],
  options: {
    html: option<string>({ flag: '--html <file>', help: 'write the self-contained HTML report to this file instead' }),
  },
  examples: ['lvs-verify drain-test --lab --json > run.json', 'lvs-verify report run.json --html run.html'],
  exitCodes: [
    [EXIT.pass, 'shown or written'],
    [EXIT.usage, 'the file cannot be read or is not a drain-test --json report'],
  ],
  async action({ argument, flags, io }) {
    // The renderer loads only for this command: start-up time matters for a tool run in loops and tests.
    const { reportCommand } = await import('./action.js');
    return reportCommand(argument, flags, io);
  },
});
