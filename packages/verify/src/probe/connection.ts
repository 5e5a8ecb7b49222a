import { connect, type Socket } from 'node:net';
import { escapeControl, LineFramer, SHUTDOWN_LINE } from '@lvs-drain-kit/common';
import type { FailureClass } from '../report/types.js';
import { classifySocketError, judgeLine } from './classify.js';

export interface ConnectTarget {
  host: string;
  port: number;
  /** Bind this local port (the reused-source-port probe). */
  localPort?: number;
  localAddress?: string;
  timeoutMs: number;
}

/** One exchange: a line sent, and what came back. */
export type Exchange =
  | { ok: true; host: string; rttMs: number }
  | { ok: false; class: FailureClass; detail: string; host?: string };

export class ConnectFailure extends Error {
  override name = 'ConnectFailure';
  constructor(
    readonly failureClass: FailureClass,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

type Waiter = (e: Exchange) => void;

/**
 * A client connection to the line service. Every line gets one reply; anything else that happens
 * (RST, FIN, a line nobody asked for) is remembered and ends the connection's usefulness.
 */
export class ProbeConnection {
  readonly socket: Socket;
  readonly connectMs: number;
  #framer = new LineFramer({ maxLineBytes: 4096 });
  #waiter: { resolve: Waiter; expected: string | undefined; sentAt: number; timer: NodeJS.Timeout } | undefined;
  #dead: { class: FailureClass; detail: string } | undefined;
  #closed: Promise<void>;

  private constructor(socket: Socket, connectMs: number) {
    this.socket = socket;
    this.connectMs = connectMs;
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      const { lines, overflow } = this.#framer.push(chunk);
      for (const line of lines) this.#onLine(line);
      if (overflow) this.#die('garbled', 'over-long line from the server');
    });
    socket.on('end', () => this.#die('closed', 'the connection was closed (FIN)'));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.#die(classifySocketError(err.code), err.code ?? err.message),
    );
    socket.on('close', () => this.#die('closed', 'the connection was closed'));
  }

  static open(target: ConnectTarget): Promise<ProbeConnection> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const socket = connect({
        host: target.host,
        port: target.port,
        localPort: target.localPort,
        localAddress: target.localAddress,
      });
      socket.setNoDelay(true);
      let settled = false;
      const timer = setTimeout(() => {
        // As in ask(): a connect that completed while the loop stood still is seen in the poll phase
        // that follows the timers; look again after it.
        setImmediate(() => {
          if (settled) return;
          settled = true;
          socket.destroy();
          reject(new ConnectFailure('timeout', `no connection within ${target.timeoutMs} ms`));
        });
      }, target.timeoutMs);
      socket.once('connect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ProbeConnection(socket, performance.now() - started));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(new ConnectFailure(classifySocketError(err.code), err.code ?? err.message, err.code));
      });
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  /** Why this connection no longer works, if it does not. */
  get dead(): { class: FailureClass; detail: string } | undefined {
    return this.#dead;
  }

  /** Sends a line and waits for one reply from `expectedHost` (any host when undefined). */
  ask(line: string, expectedHost: string | undefined, timeoutMs: number): Promise<Exchange> {
    if (this.#dead) return Promise.resolve({ ok: false, ...this.#dead });
    if (this.#waiter) throw new Error('one line at a time');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // Timers run before I/O in an event-loop turn: a reply (or a reset) that arrived while the
        // loop stood still is read in this turn's poll phase. Look once more, after it, before
        // calling the line unanswered — else a busy verifier turns every late-read answer into a timeout.
        setImmediate(() => {
          if (this.#waiter !== waiter) return;
          this.#waiter = undefined;
          // A late reply would be taken for the next one: this connection is done.
          this.#dead = { class: 'timeout', detail: `no reply within ${timeoutMs} ms` };
          this.socket.destroy();
          resolve({ ok: false, ...this.#dead });
        });
      }, timeoutMs);
      const waiter = { resolve, expected: expectedHost, sentAt: performance.now(), timer };
      this.#waiter = waiter;
      this.socket.write(`${line}\n`);
    });
  }

  /** Sends `shutdown` (the server answers and closes first, so our port is free at once), waits for the close. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (!this.#dead) {
      await this.ask(SHUTDOWN_LINE, undefined, timeoutMs);
      await Promise.race([this.#closed, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.destroy();
  }

  destroy(): void {
    if (!this.#dead) this.#dead = { class: 'closed', detail: 'closed by the verifier' };
    this.socket.destroy();
  }

  #onLine(line: string): void {
    const w = this.#waiter;
    if (!w) {
      this.#die('garbled', `unexpected line: ${escapeControl(line.slice(0, 80))}`);
      return;
    }
    this.#waiter = undefined;
    clearTimeout(w.timer);
    const v = judgeLine(line, w.expected);
    if (v.ok) w.resolve({ ok: true, host: v.host, rttMs: performance.now() - w.sentAt });
    else {
      const detail =
        v.class === 'wrong-host'
          ? `answered by ${v.host}, expected ${w.expected}`
          : `not a reply: ${escapeControl(line.slice(0, 80))}`;
      if (v.class === 'garbled') this.#dead = { class: 'garbled', detail };
      w.resolve({ ok: false, class: v.class, detail, ...(v.host ? { host: v.host } : {}) });
    }
  }

  #die(cls: FailureClass, detail: string): void {
    if (this.#dead) return;
    this.#dead = { class: cls, detail };
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      clearTimeout(w.timer);
      w.resolve({ ok: false, class: cls, detail });
    }
  }
}
