import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { escapeControl, formatDuration, formatHostPort, type HostPort, SHUTDOWN_LINE } from '@lvs-drain-kit/common';
import pRetry from 'p-retry';
import { COMMAND_HELP, parseInput, type SessionCommand } from './connect-input.js';
import { ConnectError } from './errors.js';
import { hexDump } from './hex.js';
import { type Drop, type Link, type LinkOptions, openLink, type Protocol } from './link.js';
import { formatStats, SessionStats } from './stats.js';
import { Transcript, type TranscriptEntry } from './transcript.js';

export interface SessionOptions {
  target: HostPort;
  protocol: Protocol;
  connectTimeoutMs: number;
  /** Extra attempts, with exponential back-off, for the first connect and for `/reconnect`. */
  retries: number;
  crlf?: boolean;
  maxLineBytes?: number;
  /** First back-off delay; doubles per attempt up to 5 s. */
  retryMinDelayMs?: number;
}

/** Where a session shows things; the terminal UI implements it, tests can too. */
export interface SessionView {
  /** A transcript line: sent, received, or a note. */
  entry(entry: TranscriptEntry): void;
  /** Received bytes while the hex view is on. */
  hex(time: number, lines: string[]): void;
  /** Output of /help, /info, /stats: shown, not part of the transcript. */
  output(lines: string[]): void;
  /** Connected or not changed (e.g. to redraw a prompt). */
  state?(connected: boolean): void;
}

const CLOSE_WAIT_MS = 5_000;
const KEEPALIVE_DEFAULT_LINE = 'keepalive';

/**
 * One interactive connection and everything around it: transcript, counters,
 * commands, repeat and keep-alive timers, reconnects. No terminal code here.
 */
export class Session {
  readonly transcript = new Transcript();
  readonly stats = new SessionStats();
  readonly startedAt = Date.now();
  hexView = false;
  #link: Link | undefined;
  #lastDrop: Drop | undefined;
  #connecting = false;
  #closeRequested = false;
  #closeTimer: NodeJS.Timeout | undefined;
  #repeat: { timer: NodeJS.Timeout | undefined; left: number; line: string } | undefined;
  #keepalive: { seconds: number; line: string; timer: NodeJS.Timeout | undefined } | undefined;
  #disposed = false;

  constructor(
    readonly options: SessionOptions,
    readonly view: SessionView,
  ) {}

  get connected(): boolean {
    return this.#link?.open === true;
  }

  get link(): Link | undefined {
    return this.#link;
  }

  /** Connects (with `retries` back-off); rejects with the last `ConnectError`. */
  async connect(): Promise<void> {
    if (this.#connecting) {
      this.note('already connecting');
      return;
    }
    this.#connecting = true;
    const linkOptions: LinkOptions = { ...this.options };
    const attempt = async (): Promise<Link> => {
      // Events of a link that was replaced (reconnect) must not touch the session.
      let self: Link | undefined;
      self = await openLink(linkOptions, {
        onData: (bytes) => self === this.#link && this.#onData(bytes),
        onLine: (line) => self === this.#link && this.#onLine(line),
        onDrop: (drop) => self === this.#link && this.#onDrop(drop),
      });
      return self;
    };
    try {
      const link = await pRetry(attempt, {
        retries: this.options.retries,
        minTimeout: this.options.retryMinDelayMs ?? 250,
        maxTimeout: 5_000,
        factor: 2,
        shouldRetry: ({ error }) => error instanceof ConnectError && !this.#disposed,
        onFailedAttempt: ({ error, retriesLeft }) => {
          if (retriesLeft > 0 && !this.#disposed) this.note(`${error.message}; retrying (${retriesLeft} left)`);
        },
      });
      if (this.#disposed) {
        link.destroy();
        return;
      }
      this.#link = link;
      this.#lastDrop = undefined;
      this.#closeRequested = false;
      this.note(`connected to ${link.remote} from ${link.local} (${link.protocol})`);
      this.view.state?.(true);
      this.#armKeepalive();
    } finally {
      this.#connecting = false;
    }
  }

  /** Handles a line typed at the prompt; resolves 'quit' when the user wants to leave. */
  async handle(input: string): Promise<'quit' | undefined> {
    const parsed = parseInput(input);
    switch (parsed.kind) {
      case 'send':
        this.send(parsed.line);
        return undefined;
      case 'invalid':
        this.view.output([parsed.message]);
        return undefined;
      default:
        return this.#run(parsed.command);
    }
  }

  send(line: string): boolean {
    const link = this.#link;
    if (!link?.open) {
      this.view.output(['not connected: /reconnect to connect again, /quit to leave']);
      return false;
    }
    const now = Date.now();
    const bytes = link.send(line);
    this.stats.sent(bytes, performance.now());
    this.view.entry(this.transcript.add('S', line, now));
    this.#armKeepalive();
    return true;
  }

  note(text: string): void {
    this.view.entry(this.transcript.add('*', text));
  }

  /** Stops timers and closes the connection without a word; the session is done. */
  dispose(): void {
    this.#disposed = true;
    this.#stopRepeat();
    this.#stopKeepalive();
    clearTimeout(this.#closeTimer);
    this.#link?.destroy();
  }

  async #run(command: SessionCommand): Promise<'quit' | undefined> {
    switch (command.name) {
      case 'help':
        this.view.output(COMMAND_HELP.map(([c, what]) => `${c.padEnd(28)} ${what}`));
        return undefined;
      case 'quit':
        return 'quit';
      case 'close':
        this.#close();
        return undefined;
      case 'reconnect':
        await this.#reconnect();
        return undefined;
      case 'save':
        await this.#save(command.file);
        return undefined;
      case 'hex':
        this.hexView = !this.hexView;
        this.view.output([`hex view ${this.hexView ? 'on' : 'off'}`]);
        return undefined;
      case 'repeat':
        this.#startRepeat(command.count, command.intervalMs, command.line);
        return undefined;
      case 'repeat-off':
        this.view.output([this.#repeat ? `repeat stopped (${this.#repeat.left} not sent)` : 'no repeat running']);
        this.#stopRepeat();
        return undefined;
      case 'keepalive':
        this.#keepalive = { seconds: command.seconds, line: command.line ?? KEEPALIVE_DEFAULT_LINE, timer: undefined };
        this.#armKeepalive();
        this.view.output([`keepalive: "${this.#keepalive.line}" after ${command.seconds}s without traffic`]);
        return undefined;
      case 'keepalive-off':
        this.#stopKeepalive();
        this.#keepalive = undefined;
        this.view.output(['keepalive off']);
        return undefined;
      case 'info':
        this.view.output(this.info());
        return undefined;
      case 'stats':
        this.view.output(formatStats(this.stats));
        return undefined;
    }
  }

  /** The `/info` lines. */
  info(): string[] {
    const link = this.#link;
    const s = this.stats;
    const lines = [`target     ${formatHostPort(this.options.target)} (${this.options.protocol})`];
    if (link?.open) {
      lines.push(`local      ${link.local}`, `remote     ${link.remote}`);
      lines.push(`connected  ${formatDuration(Date.now() - link.connectedAt)}`);
    } else {
      lines.push(`state      not connected${this.#lastDrop ? ` (${this.#lastDrop.message})` : ''}`);
    }
    lines.push(`sent       ${s.linesSent} lines, ${s.bytesSent} bytes`);
    lines.push(`received   ${s.linesReceived} lines, ${s.bytesReceived} bytes`);
    lines.push(`last rtt   ${s.lastRttMs === undefined ? '-' : `${s.lastRttMs.toFixed(2)}ms`}`);
    if (s.lastServer !== undefined) lines.push(`last from  ${escapeControl(s.lastServer)}`);
    if (this.#keepalive) lines.push(`keepalive  "${this.#keepalive.line}" after ${this.#keepalive.seconds}s idle`);
    if (this.#repeat) lines.push(`repeat     ${this.#repeat.left} left of "${this.#repeat.line}"`);
    return lines;
  }

  #onData(bytes: Buffer): void {
    const offset = this.stats.bytesReceived;
    this.stats.receivedBytes(bytes.length);
    if (this.hexView) this.view.hex(Date.now(), hexDump(bytes, offset));
  }

  #onLine(line: string): void {
    this.stats.receivedLine(line, performance.now());
    const entry = this.transcript.add('R', line);
    if (!this.hexView) this.view.entry(entry);
    this.#armKeepalive();
  }

  #onDrop(drop: Drop): void {
    this.#lastDrop = drop;
    this.stats.connectionReset();
    this.#stopRepeat();
    this.#stopKeepalive();
    clearTimeout(this.#closeTimer);
    if (this.#disposed) return;
    const after = this.#closeRequested && drop.kind === 'closed' ? ' after "shutdown"' : '';
    this.note(`${drop.message}${after}; /reconnect to connect again`);
    this.view.state?.(false);
  }

  #close(): void {
    const link = this.#link;
    if (!link?.open) {
      this.view.output(['not connected']);
      return;
    }
    this.#closeRequested = true;
    this.send(SHUTDOWN_LINE);
    this.#closeTimer = setTimeout(() => {
      if (link.open) {
        this.note(`no close from the server within ${CLOSE_WAIT_MS / 1000}s of "shutdown"; closing our side`);
        link.end();
      }
    }, CLOSE_WAIT_MS);
  }

  async #reconnect(): Promise<void> {
    if (this.#link?.open) {
      this.note('closing the current connection');
      const old = this.#link;
      this.#link = undefined;
      this.#stopRepeat();
      old.destroy();
      this.stats.connectionReset();
    }
    try {
      await this.connect();
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      this.note(err.message);
    }
  }

  async #save(file: string): Promise<void> {
    const path = resolve(file);
    const header = `lvs-client transcript, ${formatHostPort(this.options.target)} (${this.options.protocol}), started ${new Date(this.startedAt).toISOString()}`;
    try {
      await writeFile(path, this.transcript.toText(header));
      this.view.output([`saved ${this.transcript.entries.length} lines to ${path}`]);
    } catch (err) {
      this.view.output([`cannot save to ${path}: ${(err as Error).message}`]);
    }
  }

  #startRepeat(count: number, intervalMs: number, line: string): void {
    if (!this.connected) {
      this.view.output(['not connected: /reconnect first']);
      return;
    }
    this.#stopRepeat();
    const job = { timer: undefined as NodeJS.Timeout | undefined, left: count, line };
    this.#repeat = job;
    const tick = () => {
      if (this.#repeat !== job) return;
      job.left--;
      if (!this.send(line)) {
        this.#repeat = undefined;
        return;
      }
      if (job.left > 0) job.timer = setTimeout(tick, intervalMs);
      else {
        this.#repeat = undefined;
        this.view.output([`repeat done: sent "${line}" ${count} times`]);
      }
    };
    tick();
  }

  #stopRepeat(): void {
    clearTimeout(this.#repeat?.timer);
    this.#repeat = undefined;
  }

  #armKeepalive(): void {
    const ka = this.#keepalive;
    if (!ka) return;
    clearTimeout(ka.timer);
    if (!this.connected) return;
    ka.timer = setTimeout(() => this.send(ka.line), ka.seconds * 1000);
  }

  #stopKeepalive(): void {
    clearTimeout(this.#keepalive?.timer);
  }
}

/** A connected `Session`; rejects with a `ConnectError` (after `retries`) and leaves nothing open. */
export async function openSession(options: SessionOptions, view: SessionView): Promise<Session> {
  const session = new Session(options, view);
  try {
    await session.connect();
  } catch (err) {
    session.dispose();
    throw err;
  }
  return session;
}
