/** The rs-server binary: parse, run the command, map errors to exit codes (errors.ts). */
import { CommanderError } from 'commander';
import { EXIT, exitCodeFor } from './errors.js';
import { buildProgram } from './program.js';
import { failWorker, isWorker } from './workers.js';

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // Commander printed the message (or the help) already.
    if (err instanceof CommanderError) process.exit(exitCodeFor(err));
    throw err;
  }
}

main(process.argv).catch((err: unknown) => {
  const code = exitCodeFor(err);
  const message = err instanceof Error ? err.message : String(err);
  if (isWorker()) return failWorker(message, code);
  process.stderr.write(`rs-server: ${message}\n`);
  // Not one of ours: a bug, and its stack is what a report needs.
  if (code === EXIT.internal && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(code);
});
