/** A command in a real terminal (tmux), for the interactive parts of the CLIs. */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

let counter = 0;

/**
 * A command running in a real terminal: a detached tmux session on a private
 * server socket (`tmux -L`), so parallel tests never share a tmux server.
 */
export class TmuxPane {
  readonly socket: string;
  #socketPath: string | undefined;

  private constructor(socket: string) {
    this.socket = socket;
  }

  /** Starts `shellCommand` (run by sh) in a fresh terminal of `width` x `height`. */
  static async start(shellCommand: string, options: { width?: number; height?: number } = {}): Promise<TmuxPane> {
    const socket = `lvs-client-test-${process.pid}-${++counter}`;
    const pane = new TmuxPane(socket);
    // The trailing sleep keeps the pane (and its output) around after the command exits.
    const command = `${shellCommand}; echo EXIT=$?; sleep 120`;
    await pane.tmux(
      'new-session',
      '-d',
      '-x',
      String(options.width ?? 160),
      '-y',
      String(options.height ?? 50),
      'sh',
      '-c',
      command,
    );
    pane.#socketPath = (await pane.tmux('display-message', '-p', '#{socket_path}')).trim();
    return pane;
  }

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, '-f', '/dev/null', ...args]);
    return stdout;
  }

  /** Types text literally (no Enter). */
  type(text: string): Promise<string> {
    return this.tmux('send-keys', '-l', text);
  }

  /** Sends key names: Enter, C-d, Up... */
  keys(...names: string[]): Promise<string> {
    return this.tmux('send-keys', ...names);
  }

  async line(text: string): Promise<void> {
    await this.type(text);
    await this.keys('Enter');
  }

  /** The screen and scroll-back, wrapped lines joined, trailing blank lines dropped. */
  async capture(): Promise<string> {
    const text = await this.tmux('capture-pane', '-p', '-J', '-S', '-1000');
    return text.replace(/\n+$/, '');
  }

  /** The screen with colour escape sequences kept. */
  captureWithEscapes(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-e', '-J', '-S', '-1000');
  }

  /** Polls the screen until `test` holds; fails with the last screen after `timeoutMs`. */
  async waitFor(test: RegExp | string | ((screen: string) => boolean), timeoutMs = 8_000): Promise<string> {
    const ok =
      typeof test === 'string'
        ? (s: string) => s.includes(test)
        : test instanceof RegExp
          ? (s: string) => test.test(s)
          : test;
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = await this.capture();
      if (ok(screen)) return screen;
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${String(test)}; screen:\n${screen}`);
  }

  /** Stops the tmux server and removes its socket file, which tmux leaves behind. */
  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
    if (this.#socketPath) await rm(this.#socketPath, { force: true });
  }
}

/** How many times `needle` occurs in `text`. */
export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}
