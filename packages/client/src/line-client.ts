import type { Socket } from 'node:net';
import { LineFramer } from '@lvs-drain-kit/common';

/**
 * Request/response over one TCP connection: `request(line)` resolves with the
 * next line received. Used by `probe`, where each probe waits for its answer.
 */
export class LineClient {
  readonly #socket: Socket;
  readonly #framer = new LineFramer();
  readonly #waiting: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];
  #gone: Error | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const { lines, overflow } = this.#framer.push(chunk);
      for (const line of lines) this.#waiting.shift()?.resolve(line);
      if (overflow) this.#fail(new Error('received an over-long line'));
    });
    socket.on('end', () => this.#fail(new Error('connection closed by peer')));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.#fail(new Error(err.code === 'ECONNRESET' ? 'connection reset by peer' : err.message)),
    );
    socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  get open(): boolean {
    return this.#gone === undefined;
  }

  request(line: string, timeoutMs: number): Promise<string> {
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        // A late answer would be taken for the next request's: this connection is done.
        this.#fail(new Error(`no reply within ${timeoutMs}ms`));
        reject(new Error(`no reply within ${timeoutMs}ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (l: string) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiting.push(waiter);
      this.#socket.write(`${line}\n`);
    });
  }

  close(): void {
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1_000).unref();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #fail(err: Error): void {
    if (this.#gone) return;
    this.#gone = err;
    for (const w of this.#waiting.splice(0)) w.reject(err);
    this.#socket.destroy();
  }
}
