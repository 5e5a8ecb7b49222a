/** `lvs-verify report FILE.json [--html OUT]`: a saved drain-test report shown again. */
import type { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { exitCodesHelp, helpSection } from '../help.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('show a saved drain-test --json report again: as text, or as the HTML timeline with --html')
    .argument('<file>', 'the JSON report (drain-test --json > FILE)')
    .option('--html <file>', 'write the self-contained HTML report to this file instead')
    .addHelpText(
      'after',
      helpSection('Examples', [
        'lvs-verify drain-test --lab --json > run.json',
        'lvs-verify report run.json --html run.html',
      ]),
    )
    .addHelpText(
      'after',
      exitCodesHelp([
        [EXIT.pass, 'shown or written'],
        [EXIT.usage, 'the file cannot be read or is not a drain-test --json report'],
      ]),
    )
    .action(async (file: string, flags: { html?: string }) => {
      // The renderer loads only for this command: start-up time matters for a tool run in loops and tests.
      const { reportCommand } = await import('./action.js');
      process.exitCode = await reportCommand(file, flags, { stdout: process.stdout, stderr: process.stderr });
    });
}
