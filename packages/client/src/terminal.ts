import { clearScreenDown, createInterface, cursorTo, type Interface, moveCursor } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface TerminalOptions {
  input: Readable;
  output: Writable & { columns?: number };
  prompt: string;
  /** Earlier lines, newest first (readline's order). */
  history?: string[];
  historySize?: number;
  onLine(line: string): void;
  /** Ctrl-D on an empty line, or the input ended. */
  onClose(): void;
  /** The history changed (newest first), to persist it. */
  onHistory?(history: string[]): void;
}

/**
 * A prompt that lines can be printed above while the user types: the typed
 * text and cursor are redrawn after every print instead of being overwritten.
 */
export class Terminal {
  readonly #rl: Interface;
  readonly #output: TerminalOptions['output'];
  #closed = false;

  constructor(options: TerminalOptions) {
    this.#output = options.output;
    this.#rl = createInterface({
      input: options.input,
      output: options.output,
      prompt: options.prompt,
      terminal: true,
      history: options.history ?? [],
      historySize: options.historySize ?? 1000,
      removeHistoryDuplicates: true,
      tabSize: 4,
    });
    this.#rl.on('line', (line) => options.onLine(line));
    this.#rl.on('close', () => {
      this.#closed = true;
      options.onClose();
    });
    this.#rl.on('history', (h: string[]) => options.onHistory?.(h));
    // Ctrl-C clears a half-typed line; on an empty line it leaves, like Ctrl-D.
    this.#rl.on('SIGINT', () => {
      if (this.#rl.line.length > 0) {
        this.#rl.write(null, { ctrl: true, name: 'u' });
        this.#rl.write(null, { ctrl: true, name: 'k' });
      } else this.#rl.close();
    });
    this.#rl.prompt();
  }

  /** What the user has typed so far on the prompt line. */
  get line(): string {
    return this.#rl.line;
  }

  /** Prints lines above the prompt, then redraws the prompt with the typed text and cursor where they were. */
  print(lines: string | string[]): void {
    if (this.#closed) return;
    const text = Array.isArray(lines) ? lines.join('\n') : lines;
    // Typed text wider than the terminal spans several rows: start clearing at the prompt's first row.
    const { rows } = this.#rl.getCursorPos();
    moveCursor(this.#output, 0, -rows);
    cursorTo(this.#output, 0);
    clearScreenDown(this.#output);
    // readline's redraw first moves up by the cursor row it drew last (`prevRows`, not updated when
    // typed characters are just echoed); blank rows absorb that move so it cannot climb into the text.
    const redrawUp = (this.#rl as unknown as { prevRows?: number }).prevRows ?? 0;
    this.#output.write(`${text}\n${'\n'.repeat(redrawUp)}`);
    this.#rl.prompt(true);
  }

  setPrompt(prompt: string): void {
    if (this.#closed) return;
    this.#rl.setPrompt(prompt);
    this.#rl.prompt(true);
  }

  close(): void {
    if (!this.#closed) this.#rl.close();
  }
}
