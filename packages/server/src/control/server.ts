/**
 * The control socket: a unix socket only its owner may use (mode 0600, created under a 0177 umask so it
 * is never open to others, not even for a moment). A stale socket file left by a killed server is
 * replaced; one that still answers belongs to a running server and is an error.
 */
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { LineFramer } from '@lvs-drain-kit/common';
import type { Logger } from 'pino';
import { ListenError } from '../errors.js';
import { type DrainState, StateLockedError } from '../state.js';
import { type ControlAnswer, type ControlRequest, type ControlStatus, parseControlRequest } from './protocol.js';

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Answers one request against the state (pure apart from the state change). */
export function answerControl(
  request: ControlRequest,
  state: DrainState,
  open: number | undefined,
  by: string,
): ControlAnswer {
  let previous: ControlStatus['previous'];
  try {
    if (request.kind === 'check') state.observed('check');
    if (request.kind === 'state') previous = state.request(request.state, by).previous;
    if (request.kind === 'weight') previous = state.setWeight(request.percent, by).previous;
  } catch (err) {
    if (err instanceof StateLockedError) return { ok: false, error: err.message };
    throw err;
  }
  const s = state.snapshot();
  return {
    ok: true,
    pid: process.pid,
    state: s.state,
    ...(previous !== undefined && { previous }),
    weightPercent: s.weightPercent ?? null,
    terminating: s.terminating,
    since: new Date(s.since).toISOString(),
    by: s.by,
    open: open ?? null,
    observed: s.observedSinceChange,
  };
}

function answersAlready(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startControlServer(o: {
  path: string;
  state: DrainState;
  open: () => number | undefined;
  log: Logger;
}): Promise<ControlServer> {
  const { path, log } = o;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (await answersAlready(path))
    throw new ListenError(`control socket ${path} is in use by a running server`, 'EADDRINUSE');
  try {
    unlinkSync(path);
  } catch {
    // not there: nothing stale to remove
  }
  const server: Server = createServer((socket) => {
    const framer = new LineFramer({ maxLineBytes: 256 });
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('data', (chunk: string) => {
      const { lines, overflow } = framer.push(Buffer.from(chunk));
      const line = lines[0];
      if (overflow) return void socket.end(`${JSON.stringify({ ok: false, error: 'request too long' })}\n`);
      if (line === undefined) return;
      let answer: ControlAnswer;
      try {
        const request = parseControlRequest(line);
        answer = answerControl(request, o.state, o.open(), 'ctl');
        if (request.kind === 'state' || request.kind === 'weight') {
          log.info({ request: line.trim(), state: answer.ok ? answer.state : undefined, answer }, 'control request');
        }
      } catch (err) {
        answer = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      socket.end(`${JSON.stringify(answer)}\n`);
    });
  });
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new ListenError(`cannot create control socket ${path}: ${err.code ?? err.message}`, err.code)),
      );
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(previousUmask);
  }
  chmodSync(path, 0o600);
  server.on('error', (err) => log.error({ err }, 'control socket error'));
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        // Node removes the socket file when a unix listener closes.
        server.close(() => resolve());
      }),
  };
}
