/**
 * `--probe tcp`: any TCP service. With `--send` and `--expect` each exchange is a request and an answer
 * matching a regex; with `--send` alone, the bytes must be acknowledged by the peer (its TCP ACKs, read
 * from the kernel's send queue) — the real server behind a kernel director (IPVS, nftables DNAT), but
 * the proxy itself behind HAProxy, which acknowledges what it reads; with neither, a connection is alive
 * while no FIN or RST came. Bytes the service sends between exchanges are not read. The answers name no
 * server: the director's connection table does.
 */
import type { Socket } from 'node:net';
import { escapeControl } from '@lvs-drain-kit/common';
import type { AskOptions, ConnectTarget, Dead, Probe, ProbeExchange, ProbeSession } from './connection.js';
import { SendQueueWatcher } from './send-queue.js';
import { openSocket } from './socket.js';
import { SocketSession } from './socket-session.js';

export interface TcpProbeSettings {
  /** Bytes each exchange writes (escapes already read: `PING\r\n`). */
  send?: string;
  /** What the answer must match (read as UTF-8, accumulated until it does). */
  expect?: RegExp;
}

/** An answer is looked for in at most this much received text. */
const ANSWER_LIMIT = 64 * 1024;

export function tcpProbe(settings: TcpProbeSettings): Probe {
  const watcher = new SendQueueWatcher();
  const what =
    settings.send === undefined
      ? 'connection open (no FIN, no RST)'
      : settings.expect
        ? `${JSON.stringify(settings.send)} → /${settings.expect.source}/`
        : `${JSON.stringify(settings.send)} acknowledged`;
  return {
    kind: 'tcp',
    identity: undefined,
    description: `tcp ${what}`,
    async open(target: ConnectTarget) {
      const { socket, connectMs } = await openSocket(target);
      return new TcpSession(socket, connectMs, target, settings, watcher);
    },
  };
}

type Waiter = { resolve: (e: ProbeExchange) => void; sentAt: number; timer: NodeJS.Timeout };

class TcpSession extends SocketSession implements ProbeSession {
  readonly #target: ConnectTarget;
  readonly #settings: TcpProbeSettings;
  readonly #watcher: SendQueueWatcher;
  #received = '';
  #waiter: Waiter | undefined;

  constructor(
    socket: Socket,
    connectMs: number,
    target: ConnectTarget,
    settings: TcpProbeSettings,
    watcher: SendQueueWatcher,
  ) {
    super(socket, connectMs);
    this.#target = target;
    this.#settings = settings;
    this.#watcher = watcher;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  ask(
    _label: string,
    _expectedHost: string | undefined,
    timeoutMs: number,
    _options?: AskOptions,
  ): Promise<ProbeExchange> {
    if (this.failure) return Promise.resolve({ ok: false, ...this.failure });
    if (this.#waiter) throw new Error('one exchange at a time');
    const { send, expect } = this.#settings;
    const sentAt = performance.now();
    if (send === undefined) return Promise.resolve({ ok: true, rttMs: 0 });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // As the line probe: an answer read in this turn's poll phase still counts; look once more after it.
        setImmediate(() => {
          if (this.#waiter !== waiter) return;
          this.#waiter = undefined;
          const seen = this.#received.length > 0 ? `; got ${escapeControl(this.#received.slice(0, 80))}` : '';
          // Bytes still in flight would be taken for the next answer: this connection is done.
          this.failure =
            expect && this.#received.length > 0
              ? { class: 'garbled', detail: `no answer matching /${expect.source}/ within ${timeoutMs} ms${seen}` }
              : {
                  class: 'timeout',
                  detail: expect ? `no answer within ${timeoutMs} ms` : `not acknowledged within ${timeoutMs} ms`,
                };
          this.socket.destroy();
          resolve({ ok: false, ...this.failure });
        });
      }, timeoutMs);
      this.#received = '';
      const waiter = { resolve, sentAt, timer };
      this.#waiter = waiter;
      this.socket.write(send, () => {
        if (expect || this.#waiter === undefined) return;
        const pair = {
          localAddress: this.socket.localAddress ?? '',
          localPort: this.socket.localPort ?? 0,
          remoteAddress: this.socket.remoteAddress ?? this.#target.host,
          remotePort: this.socket.remotePort ?? this.#target.port,
        };
        void this.#watcher.acked(pair, timeoutMs).then((acked) => {
          if (acked) this.#settle({ ok: true, rttMs: performance.now() - sentAt });
        });
      });
    });
  }

  /** The client ends the connection: a generic service knows no way to close first. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (!this.failure) {
      this.socket.end();
      await this.closedWithin(timeoutMs);
    }
    this.destroy();
  }

  #onData(chunk: Buffer): void {
    const expect = this.#settings.expect;
    if (!expect || !this.#waiter) return;
    this.#received += chunk.toString('utf8');
    if (expect.test(this.#received)) {
      this.#settle({ ok: true, rttMs: performance.now() - this.#waiter.sentAt });
    } else if (this.#received.length > ANSWER_LIMIT) {
      this.failure = { class: 'garbled', detail: `no match for /${expect.source}/ in ${ANSWER_LIMIT} bytes` };
      this.#settle({ ok: false, ...this.failure });
      this.socket.destroy();
    }
  }

  #settle(ex: ProbeExchange): void {
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = undefined;
    clearTimeout(w.timer);
    w.resolve(ex);
  }

  protected override onFailure(dead: Dead): void {
    this.#settle({ ok: false, ...dead });
  }
}
