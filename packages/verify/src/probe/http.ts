/**
 * `--probe http`: an HTTP/1.1 service over persistent connections, through Node's own HTTP client (no
 * parser of our own). Every connection is one keep-alive socket of its own Agent (maxSockets 1): each
 * exchange is one `GET --path` on it, and a connection the server closed is never silently replaced by
 * a new one — the next exchange fails instead, which is what old-connections-survive must see.
 * The server's name comes from a response header or the body; an unexpected status or an answer that is
 * not HTTP is `garbled`, with the status in the message.
 */
import { Agent, type ClientRequest, type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { escapeControl } from '@lvs-drain-kit/common';
import type { FailureClass } from '../report/types.js';
import { classifySocketError } from './classify.js';
import type { AskOptions, ConnectTarget, Probe, ProbeExchange, ProbeSession } from './connection.js';
import { type StatusRanges, statusAccepted } from './expect-status.js';
import { PassiveCloseStream } from './http-socket.js';
import { openSocket, type TlsSettings } from './socket.js';
import { SocketSession } from './socket-session.js';

export interface HttpProbeSettings {
  /** The path each exchange GETs. */
  path: string;
  /** Statuses that count as an answer. */
  expectStatus: StatusRanges;
  /** The text of `expectStatus`, for messages. */
  expectStatusText: string;
  /** The response header that names the server (`X-Served-By`)… */
  identityHeader?: string;
  /** …or `(?<server>…)` in the body. */
  identityRegex?: RegExp;
  /** False: any accepted answer counts (the server is known from the director). */
  identify: boolean;
  /** The Host header (and TLS name): the service's, whichever address is connected to. */
  hostHeader: string;
  tls?: TlsSettings;
}

/** The body is read whole (keep-alive needs it) but only this much is kept for `identityRegex`. */
const BODY_KEPT = 64 * 1024;

export function httpProbe(settings: HttpProbeSettings): Probe {
  const scheme = settings.tls ? 'https' : 'http';
  const identity = settings.identityHeader
    ? `header ${settings.identityHeader}`
    : settings.identityRegex
      ? `body /${settings.identityRegex.source}/`
      : undefined;
  return {
    kind: 'http',
    identity: settings.identify ? identity : undefined,
    description: `${scheme} GET ${settings.path} (${settings.expectStatusText})${settings.tls?.insecure ? ', any certificate' : ''}`,
    async open(target: ConnectTarget) {
      const { socket, connectMs } = await openSocket(target, settings.tls);
      return new HttpSession(socket, connectMs, target, settings);
    },
  };
}

/** An Agent that hands out the probe's one socket, once: a second socket would be a new connection. */
class OneSocketAgent extends Agent {
  #socket: Duplex | undefined;

  constructor(socket: Duplex) {
    super({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
    this.#socket = socket;
  }

  override createConnection(
    _options: unknown,
    callback?: (err: Error | null, socket: Duplex) => void,
  ): Duplex | undefined {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) return socket;
    callback?.(new Error('the connection is closed'), undefined as unknown as Duplex);
    return undefined;
  }
}

class HttpSession extends SocketSession implements ProbeSession {
  readonly #target: ConnectTarget;
  readonly #settings: HttpProbeSettings;
  readonly #agent: Agent;
  #busy = false;
  #closing = false;

  constructor(socket: Socket, connectMs: number, target: ConnectTarget, settings: HttpProbeSettings) {
    // The socket's listeners come first (SocketSession): a failure is classified before Node's client reports it.
    super(socket, connectMs);
    this.#target = target;
    this.#settings = settings;
    this.#agent = new OneSocketAgent(new PassiveCloseStream(socket));
  }

  protected override endDetail(): string {
    return this.#closing ? 'closed as asked' : 'the server closed the connection (FIN)';
  }

  ask(
    _label: string,
    expectedHost: string | undefined,
    timeoutMs: number,
    options: AskOptions = {},
  ): Promise<ProbeExchange> {
    if (this.failure) return Promise.resolve({ ok: false, ...this.failure });
    if (this.#busy) throw new Error('one request at a time');
    this.#busy = true;
    if (options.last) this.#closing = true;
    const sentAt = performance.now();
    return new Promise((resolve) => {
      let req: ClientRequest | undefined;
      let settled = false;
      const finish = (ex: ProbeExchange) => {
        if (settled) return;
        settled = true;
        this.#busy = false;
        clearTimeout(timer);
        resolve(ex);
      };
      const fail = (cls: FailureClass, detail: string, final = true, host?: string) => {
        if (final && !this.failure) this.failure = { class: cls, detail };
        finish({ ok: false, class: cls, detail, ...(host !== undefined ? { host } : {}) });
      };
      const timer = setTimeout(() => {
        // As the line probe: an answer read in this turn's poll phase still counts; look once more after it.
        setImmediate(() => {
          if (settled) return;
          // A late answer would be taken for the next one: this connection is done.
          fail('timeout', `no answer within ${timeoutMs} ms`);
          req?.destroy();
          this.socket.destroy();
        });
      }, timeoutMs);
      req = request({
        agent: this.#agent,
        host: this.#target.host,
        port: this.#target.port,
        method: 'GET',
        path: this.#settings.path,
        headers: { host: this.#settings.hostHeader, ...(options.last ? { connection: 'close' } : {}) },
      });
      req.on('response', (res) => {
        const kept: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < BODY_KEPT) kept.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const answer = this.#judge(res, Buffer.concat(kept).toString('utf8'), expectedHost);
          if (!answer.ok) return fail(answer.class, answer.detail, answer.class === 'garbled', answer.host);
          if (!options.last && closesAfter(res)) {
            // Answered, but the server ends the connection here: the next exchange must not find it working.
            this.failure = {
              class: 'closed',
              detail: `the server ended the keep-alive (Connection: ${res.headers.connection ?? 'HTTP/1.0'})`,
            };
          }
          finish({ ...answer, rttMs: performance.now() - sentAt });
        });
        res.on('error', (err) => fail(this.failure?.class ?? 'closed', this.failure?.detail ?? err.message));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (this.failure) return fail(this.failure.class, this.failure.detail);
        if (err.code?.startsWith('HPE_')) return fail('garbled', `not an HTTP answer (${err.code}: ${err.message})`);
        fail(classifySocketError(err.code), err.code ?? err.message);
      });
      req.end();
    });
  }

  /** The answer's status and the server it names. */
  #judge(
    res: IncomingMessage,
    body: string,
    expectedHost: string | undefined,
  ): { ok: true; host?: string } | { ok: false; class: FailureClass; detail: string; host?: string } {
    const s = this.#settings;
    const status = res.statusCode ?? 0;
    if (!statusAccepted(status, s.expectStatus)) {
      return {
        ok: false,
        class: 'garbled',
        detail: `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}, expected ${s.expectStatusText}`,
      };
    }
    if (!s.identify) return { ok: true };
    let host: string | undefined;
    if (s.identityHeader) {
      const v = res.headers[s.identityHeader.toLowerCase()];
      host = (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
      if (!host) return { ok: false, class: 'garbled', detail: `HTTP ${status} without a ${s.identityHeader} header` };
    } else if (s.identityRegex) {
      host = s.identityRegex.exec(body)?.groups?.server || undefined;
      if (!host) {
        return {
          ok: false,
          class: 'garbled',
          detail: `HTTP ${status}: the body does not match /${s.identityRegex.source}/: ${escapeControl(body.slice(0, 80))}`,
        };
      }
    }
    if (host !== undefined && expectedHost !== undefined && host !== expectedHost) {
      return { ok: false, class: 'wrong-host', detail: `answered by ${host}, expected ${expectedHost}`, host };
    }
    return host === undefined ? { ok: true } : { ok: true, host };
  }

  /** A last GET with `Connection: close` (unless the last exchange was one): the server closes first. */
  async shutdown(timeoutMs: number): Promise<void> {
    const bounded = this.closedWithin(timeoutMs);
    if (!this.failure && !this.#busy) await this.ask('shutdown', undefined, timeoutMs, { last: true });
    if (this.#closing) await bounded;
    this.destroy();
  }

  override destroy(): void {
    super.destroy();
    this.#agent.destroy();
  }
}

/** Whether the server ends the connection after this answer. */
function closesAfter(res: IncomingMessage): boolean {
  const connection = String(res.headers.connection ?? '').toLowerCase();
  if (connection.split(',').some((t) => t.trim() === 'close')) return true;
  return res.httpVersion === '1.0' && !connection.includes('keep-alive');
}
