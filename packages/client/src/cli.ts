/** The lvs-client process: streams, signals, and the one mapping of errors to exit codes. */
import { CommanderError } from 'commander';
import type { CliIO } from './commands/command.js';
import { EXIT, exitCodeFor } from './errors.js';
import { buildProgram } from './program.js';

const io: CliIO = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  // SIGTERM (and SIGINT outside a terminal's raw mode): end the way /quit does, restoring the terminal.
  stopped: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }),
};

// A reader that goes away (`lvs-client probe ... | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});

async function main(argv: string[]): Promise<number> {
  let running: Promise<number> | undefined;
  const program = buildProgram({
    io,
    perform: (action, options) => {
      running = action(options, io);
    },
  });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    // Commander printed the message (or the help) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw err;
  }
  return running ?? EXIT.usage;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`lvs-client: ${message}\n`);
    // Not one of ours: a bug, and its stack is what a report needs.
    if (code === EXIT.internal && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = code;
  },
);
