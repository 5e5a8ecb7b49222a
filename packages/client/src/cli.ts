import { CommanderError } from 'commander';
import { parseArgs } from './args.js';
import { makeColors, wantColor } from './colors.js';
import { EXIT, exitCodeFor, ProbeFailuresError } from './errors.js';
import { runInteractive } from './interactive.js';
import { runListen } from './listen-session.js';
import { probe } from './probe.js';
import { formatSample, formatSummary, probeJson } from './probe-report.js';
import { runScripted } from './scripted.js';

/** SIGTERM (and SIGINT outside a terminal's raw mode): end the way /quit does, restoring the terminal. */
function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

// A reader that goes away (`lvs-client probe ... | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});

async function main(argv: string[]): Promise<number> {
  let inv: ReturnType<typeof parseArgs>;
  try {
    inv = parseArgs(argv);
  } catch (err) {
    // Commander printed the message (or the help) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw err;
  }

  switch (inv.command) {
    case 'connect': {
      if (process.stdin.isTTY) {
        await runInteractive(
          { ...inv, color: wantColor({ isTTY: process.stdout.isTTY, flag: inv.colorFlag }) },
          { input: process.stdin, output: process.stdout, stopped: signalled() },
        );
      } else {
        await runScripted(inv, { input: process.stdin, stdout: process.stdout, stderr: process.stderr });
      }
      return EXIT.ok;
    }
    case 'probe': {
      const colors = makeColors(wantColor({ isTTY: process.stdout.isTTY, flag: inv.colorFlag }));
      const abort = new AbortController();
      signalled().then(() => abort.abort());
      const result = await probe({
        ...inv,
        signal: abort.signal,
        onSample: inv.json ? undefined : (s) => process.stdout.write(`${formatSample(s, colors)}\n`),
      });
      process.stdout.write(inv.json ? `${probeJson(result)}\n` : `${formatSummary(result).join('\n')}\n`);
      if (result.connectError) throw result.connectError;
      if (result.failed > 0) throw new ProbeFailuresError(`${result.failed} of ${result.count} probes got no reply`);
      return EXIT.ok;
    }
    case 'listen': {
      const interactive = process.stdin.isTTY === true;
      await runListen(
        { ...inv, interactive, color: wantColor({ isTTY: process.stdout.isTTY, flag: inv.colorFlag }) },
        { input: process.stdin, output: process.stdout, messages: process.stderr, stopped: signalled() },
      );
      return EXIT.ok;
    }
  }
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
