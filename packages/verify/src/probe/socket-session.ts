/**
 * What every probe's connection shares: its socket, its first failure (final: a connection that failed
 * once is done with), its close, and for a probe that writes and waits (line, tcp) the one exchange
 * under way with its timeout. Each probe speaks its protocol in a subclass; a failure seen on the
 * socket (FIN, RST, an error) ends the exchange under way through `onFailure`.
 */
import type { Socket } from 'node:net';
import type { FailureClass } from '../report/types.js';
import { classifySocketError } from './classify.js';
import type { Dead, ProbeExchange } from './connection.js';

/** The exchange under way: who waits for its answer, which server it expects, since when. */
export interface Pending {
  resolve: (e: ProbeExchange) => void;
  expected: string | undefined;
  sentAt: number;
  timer: NodeJS.Timeout;
}

export abstract class SocketSession {
  readonly connectMs: number;
  protected readonly socket: Socket;
  protected failure: Dead | undefined;
  /** The exchange under way (`exchange`), until `settle` or its timeout ends it. */
  protected pending: Pending | undefined;
  protected readonly closed: Promise<void>;

  constructor(socket: Socket, connectMs: number) {
    this.socket = socket;
    this.connectMs = connectMs;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // Registered before any listener of the subclass: a failure is classified before anything else sees it.
    socket.on('end', () => this.die('closed', this.endDetail()));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.die(classifySocketError(err.code), err.code ?? err.message),
    );
    socket.on('close', () => this.die('closed', 'the connection was closed'));
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get dead(): Dead | undefined {
    return this.failure;
  }

  destroy(): void {
    if (!this.failure) this.failure = { class: 'closed', detail: 'closed by the verifier' };
    this.socket.destroy();
  }

  /** How a FIN from the server reads in the report. */
  protected endDetail(): string {
    return 'the connection was closed (FIN)';
  }

  /** The connection's first failure; later ones change nothing. */
  protected die(cls: FailureClass, detail: string): void {
    if (this.failure) return;
    this.failure = { class: cls, detail };
    this.onFailure(this.failure);
  }

  /** Ends the exchange under way, if any, with the failure. */
  protected onFailure(dead: Dead): void {
    this.settle({ ok: false, ...dead });
  }

  /**
   * One exchange: `send` writes it, `settle` ends it with the answer. With no answer within `timeoutMs`
   * it fails as `timedOut` says, and so does the connection: a late answer would be taken for the next.
   */
  protected exchange(
    expected: string | undefined,
    timeoutMs: number,
    timedOut: () => Dead,
    send: (sentAt: number) => void,
  ): Promise<ProbeExchange> {
    if (this.failure) return Promise.resolve({ ok: false, ...this.failure });
    if (this.pending) throw new Error('one exchange at a time');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // Timers run before I/O in an event-loop turn: an answer (or a reset) that arrived while the
        // loop stood still is read in this turn's poll phase. Look once more, after it, before calling
        // the exchange unanswered — else a busy verifier turns every late-read answer into a timeout.
        setImmediate(() => {
          if (this.pending !== pending) return;
          this.pending = undefined;
          this.failure = timedOut();
          this.socket.destroy();
          resolve({ ok: false, ...this.failure });
        });
      }, timeoutMs);
      const pending: Pending = { resolve, expected, sentAt: performance.now(), timer };
      this.pending = pending;
      send(pending.sentAt);
    });
  }

  /** Ends the exchange under way, if any, with `ex`. */
  protected settle(ex: ProbeExchange): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(ex);
  }

  /** The close, or `timeoutMs`, whichever comes first. */
  protected closedWithin(timeoutMs: number): Promise<unknown> {
    return Promise.race([this.closed, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
