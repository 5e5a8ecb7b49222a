import { CommanderError } from 'commander';
import { EXIT, exitCodeFor, RestoreError } from './errors.js';
import { buildProgram } from './program.js';

const err = (line: string) => process.stderr.write(`${line}\n`);

// `lvs-verify lab status | head -1`: a closed stdout ends the program quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

/** Parses argv and runs the command's action, which sets process.exitCode; resolves with the exit code. */
async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.pass : EXIT.usage;
    throw e;
  }
  return Number(process.exitCode ?? EXIT.pass);
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // Open handles (a lingering socket) must not keep a finished run alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    err(`lvs-verify: ${message}`);
    if (e instanceof RestoreError) err(`run by hand: ${e.manualCommand}`);
    process.exit(exitCodeFor(e));
  },
);
