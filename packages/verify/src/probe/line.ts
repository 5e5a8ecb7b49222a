/**
 * `--probe line` (the default): a line-protocol service. Each exchange sends a line and takes one line
 * back; rs-server's `it's from the host: NAME` names the server, or `--identity-regex`'s `(?<server>…)`
 * does for another line service. Anything else (RST, FIN, a line nobody asked for) ends the
 * connection's usefulness.
 */
import type { Socket } from 'node:net';
import { escapeControl, LineFramer, parseReply, SHUTDOWN_LINE } from '@lvs-drain-kit/common';
import type {
  AskOptions,
  ConnectTarget,
  Dead,
  Probe,
  ProbeConnection,
  ProbeExchange,
  ProbeSession,
} from './connection.js';
import { openSocket } from './socket.js';
import { SocketSession } from './socket-session.js';

export interface LineProbeSettings {
  /** The text each exchange sends (a newline is added unless it ends with one); default the exchange's label. */
  send?: string;
  /** `(?<server>…)` reads the server's name from a reply line; default rs-server's reply. */
  identityRegex?: RegExp;
  /** False: any line is an answer (the server is known from the director). */
  identify: boolean;
}

export function lineProbe(settings: LineProbeSettings): Probe {
  const what = settings.identityRegex ? `reply line /${settings.identityRegex.source}/` : 'rs-server reply line';
  return {
    kind: 'line',
    identity: settings.identify ? what : undefined,
    description: `line${settings.send !== undefined ? ` ${JSON.stringify(settings.send)}` : ''}`,
    async open(target: ConnectTarget) {
      const { socket, connectMs } = await openSocket(target);
      return new LineSession(socket, connectMs, settings);
    },
  };
}

const RS_LINE = lineProbe({ identify: true });

/**
 * A connection to rs-server's line service, each answer naming its server: how maintain's samplers and
 * health checks talk, outside a drain-test run's identity plan. With `identify`, every answer that is
 * not a failure carries the server's name (else it is `garbled`), so the session is a ProbeConnection.
 */
export async function openRsLine(target: ConnectTarget): Promise<ProbeConnection> {
  return (await RS_LINE.open(target)) as ProbeConnection;
}

/** The server's name in a reply line, or undefined when the line is not a reply. */
export function hostOfLine(line: string, regex: RegExp | undefined): string | undefined {
  if (!regex) return parseReply(line);
  const name = regex.exec(line)?.groups?.server;
  return name ? name : undefined;
}

type Waiter = {
  resolve: (e: ProbeExchange) => void;
  expected: string | undefined;
  sentAt: number;
  timer: NodeJS.Timeout;
};

class LineSession extends SocketSession implements ProbeSession {
  readonly #settings: LineProbeSettings;
  readonly #framer = new LineFramer({ maxLineBytes: 4096 });
  #waiter: Waiter | undefined;

  constructor(socket: Socket, connectMs: number, settings: LineProbeSettings) {
    super(socket, connectMs);
    this.#settings = settings;
    socket.on('data', (chunk: Buffer) => {
      const { lines, overflow } = this.#framer.push(chunk);
      for (const line of lines) this.#onLine(line);
      if (overflow) this.die('garbled', 'over-long line from the server');
    });
  }

  ask(
    label: string,
    expectedHost: string | undefined,
    timeoutMs: number,
    _options?: AskOptions,
  ): Promise<ProbeExchange> {
    if (this.failure) return Promise.resolve({ ok: false, ...this.failure });
    if (this.#waiter) throw new Error('one line at a time');
    const text = this.#settings.send ?? label;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // Timers run before I/O in an event-loop turn: a reply (or a reset) that arrived while the
        // loop stood still is read in this turn's poll phase. Look once more, after it, before
        // calling the line unanswered — else a busy verifier turns every late-read answer into a timeout.
        setImmediate(() => {
          if (this.#waiter !== waiter) return;
          this.#waiter = undefined;
          // A late reply would be taken for the next one: this connection is done.
          this.failure = { class: 'timeout', detail: `no reply within ${timeoutMs} ms` };
          this.socket.destroy();
          resolve({ ok: false, ...this.failure });
        });
      }, timeoutMs);
      const waiter = { resolve, expected: expectedHost, sentAt: performance.now(), timer };
      this.#waiter = waiter;
      this.socket.write(text.endsWith('\n') ? text : `${text}\n`);
    });
  }

  /**
   * rs-server's `shutdown`: the server answers and closes first, so the local port is free at once. A
   * service given with `--send` knows no such line: the connection is ended from this side.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (!this.failure) {
      const bounded = this.closedWithin(timeoutMs);
      if (this.#settings.send === undefined) await this.ask(SHUTDOWN_LINE, undefined, timeoutMs);
      else this.socket.end();
      await bounded;
    }
    this.destroy();
  }

  #onLine(line: string): void {
    const w = this.#waiter;
    if (!w) {
      this.die('garbled', `unexpected line: ${escapeControl(line.slice(0, 80))}`);
      return;
    }
    this.#waiter = undefined;
    clearTimeout(w.timer);
    const rttMs = performance.now() - w.sentAt;
    if (!this.#settings.identify) {
      w.resolve({ ok: true, rttMs });
      return;
    }
    const host = hostOfLine(line, this.#settings.identityRegex);
    if (host === undefined) {
      this.failure = { class: 'garbled', detail: `not a reply: ${escapeControl(line.slice(0, 80))}` };
      w.resolve({ ok: false, ...this.failure });
    } else if (w.expected !== undefined && host !== w.expected) {
      w.resolve({ ok: false, class: 'wrong-host', detail: `answered by ${host}, expected ${w.expected}`, host });
    } else w.resolve({ ok: true, host, rttMs });
  }

  protected override onFailure(dead: Dead): void {
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      clearTimeout(w.timer);
      w.resolve({ ok: false, ...dead });
    }
  }
}
