/**
 * The stream Node's HTTP client writes to and reads from, in front of the probe's own socket. It lets
 * the server close first: after an answer with `Connection: close`, Node's client ends its socket at
 * once, and a client that sends the first FIN keeps its port in TIME_WAIT for a minute — the
 * reused-source-port check could then not bind it again. Here that end waits for the server's FIN.
 */

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

export class PassiveCloseStream extends Duplex {
  readonly #real: Socket;
  readonly #serverDone: Promise<void>;

  constructor(real: Socket) {
    super({ allowHalfOpen: true });
    this.#real = real;
    this.#serverDone = new Promise((resolve) => {
      real.once('end', () => resolve());
      real.once('close', () => resolve());
    });
    real.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) real.pause();
    });
    real.on('end', () => this.push(null));
    real.on('error', (err) => this.destroy(err));
    real.on('close', () => this.destroy());
  }

  override _read(): void {
    this.#real.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#real.write(chunk, encoding, callback);
  }

  /** Node's client ends the stream after the last answer: the real socket ends once the server has. */
  override _final(callback: (error?: Error | null) => void): void {
    void this.#serverDone.then(() => {
      if (!this.#real.destroyed) this.#real.end();
      callback();
    });
  }

  // What Node's HTTP agent calls on a socket it keeps alive; the real socket is the probe's to tune.
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}
