/**
 * What every probe's connection shares: its socket, its first failure (final: a connection that failed
 * once is done with), and its close. Each probe speaks its protocol in a subclass; a failure seen on
 * the socket (FIN, RST, an error) ends the exchange under way through `onFailure`.
 */
import type { Socket } from 'node:net';
import type { FailureClass } from '../report/types.js';
import { classifySocketError } from './classify.js';
import type { Dead } from './connection.js';

export abstract class SocketSession {
  readonly connectMs: number;
  protected readonly socket: Socket;
  protected failure: Dead | undefined;
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
  protected onFailure(_dead: Dead): void {}

  /** The close, or `timeoutMs`, whichever comes first. */
  protected closedWithin(timeoutMs: number): Promise<unknown> {
    return Promise.race([this.closed, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
