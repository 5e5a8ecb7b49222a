import type { Readable, Writable } from 'node:stream';
import { formatHostPort } from '@lvs-drain-kit/common';
import { type Colors, makeColors } from './colors.js';
import { HISTORY_SIZE, loadHistory, saveHistory } from './history.js';
import { openSession, type SessionOptions } from './session.js';
import { Terminal } from './terminal.js';
import { formatEntry, formatTime } from './transcript.js';

export interface InteractiveOptions extends SessionOptions {
  /** Where arrow-key history is kept across runs; undefined keeps it in memory only. */
  historyFile: string | undefined;
  color: boolean;
}

export interface InteractiveIO {
  input: Readable;
  output: Writable & { columns?: number };
  /** Resolves when the session must end (SIGTERM): the terminal is restored, as on /quit. */
  stopped?: Promise<void>;
}

function prompt(colors: Colors, connected: boolean): string {
  return connected ? colors.bold('> ') : colors.red('(not connected) > ');
}

/**
 * `lvs-client connect` on a terminal. Resolves when the user leaves (/quit,
 * Ctrl-D); rejects with a `ConnectError` when the first connect fails.
 */
export async function runInteractive(options: InteractiveOptions, io: InteractiveIO): Promise<void> {
  const colors = makeColors(options.color);
  const write = (line: string) => io.output.write(`${line}\n`);
  let terminal: Terminal | undefined;
  const show = (lines: string[]) => (terminal ? terminal.print(lines) : lines.forEach(write));

  write(colors.dim(`connecting to ${formatHostPort(options.target)} (${options.protocol})...`));
  const session = await openSession(options, {
    entry: (entry) => show([formatEntry(entry, colors)]),
    hex: (time, lines) =>
      show([`${colors.dim(formatTime(time))} ${colors.green('R:')}`, ...lines.map((l) => `  ${colors.magenta(l)}`)]),
    output: (lines) => show(lines.map((l) => colors.dim(l))),
    state: (connected) => terminal?.setPrompt(prompt(colors, connected)),
  });

  write(colors.dim('type a line to send it; /help lists commands; Ctrl-D leaves'));

  await new Promise<void>((resolve) => {
    let leaving = false;
    const leave = () => {
      if (leaving) return;
      leaving = true;
      session.dispose();
      terminal?.close();
      resolve();
    };
    io.stopped?.then(leave);
    terminal = new Terminal({
      input: io.input,
      output: io.output,
      prompt: prompt(colors, session.connected),
      history: options.historyFile ? loadHistory(options.historyFile) : [],
      historySize: HISTORY_SIZE,
      onHistory: (history) => {
        if (!options.historyFile) return;
        const err = saveHistory(options.historyFile, history);
        if (err) terminal?.print(colors.yellow(`history not saved: ${err.message} (--no-history turns it off)`));
      },
      onLine: (line) => {
        session.handle(line).then(
          (result) => result === 'quit' && leave(),
          (err: unknown) => terminal?.print(colors.red(`error: ${(err as Error).message}`)),
        );
      },
      onClose: () => {
        // Ctrl-D leaves the cursor after the prompt; the shell's next output belongs on a line of its own.
        if (!leaving) io.output.write('\n');
        leave();
      },
    });
  });
}
