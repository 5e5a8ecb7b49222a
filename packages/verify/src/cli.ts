import { CommanderError } from 'commander';
import type { DrainTestFlags } from './args.js';
import { buildProgram } from './args.js';
import { EXIT, exitCodeFor, InterruptedError, RestoreError } from './errors.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** SIGINT/SIGTERM abort the run, which then restores the weight and reports; a second signal is refused. */
function abortOnSignals(): AbortController {
  const controller = new AbortController();
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) {
      err(`lvs-verify: ${signal} again: still putting the weight back, please wait`);
      return;
    }
    err(`lvs-verify: ${signal}: stopping, restoring the drained server first`);
    controller.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}

// `lvs-verify lab status | head -1`: a closed stdout ends the program quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let code: number | undefined;
  program.commands
    .find((c) => c.name() === 'drain-test')!
    .action(async (flags: DrainTestFlags) => {
      const controller = abortOnSignals();
      const { drainTestCommand } = await import('./commands/drain-test.js');
      code = await drainTestCommand(flags, argv.slice(argv.indexOf('drain-test') + 1), {
        stdout: process.stdout,
        stderr: process.stderr,
        signal: controller.signal,
      });
    });
  program.commands
    .find((c) => c.name() === 'undo')!
    .action(async (flags: { journal?: string }) => {
      const { undoDrains } = await import('./undo.js');
      const r = await undoDrains({ ...(flags.journal ? { journalPath: flags.journal } : {}), onLine: out });
      code = r.failed.length > 0 ? EXIT.restoreFailed : EXIT.pass;
    });
  const lab = program.commands.find((c) => c.name() === 'lab')!;
  const sub = (name: string) => lab.commands.find((c) => c.name() === name)!;
  // Each command loads its own modules: start-up time matters for a tool run in loops and tests.
  const labCommands = () => import('./commands/lab.js');
  sub('up').action(async (f: { engine: string }) => {
    code = await (await labCommands()).labUp(f.engine, out);
  });
  sub('down').action(async (f: { engine: string }) => {
    code = await (await labCommands()).labDown(f.engine, out);
  });
  sub('status').action(async (f: { engine: string }) => {
    code = await (await labCommands()).labStatus(f.engine, out);
  });
  sub('exec').action(async (command: string[], f: { engine: string }) => {
    code = await (await labCommands()).labExec(f.engine, command);
  });
  sub('ipvsadm').action(async (args: string[], f: { control?: string }) => {
    code = await (await labCommands()).labIpvsadm(f.control, args, out, err);
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.pass : EXIT.usage;
    throw e;
  }
  return code ?? EXIT.pass;
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
