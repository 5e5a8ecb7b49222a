import type { Socket } from 'node:net';
import { formatPeer, LineFramer, SHUTDOWN_LINE } from '@lvs-drain-kit/common';
import type { Logger } from 'pino';

export interface ConnectionContext {
  log: Logger;
  /** The open connections; a connection removes itself when closed. */
  open?: Set<Socket>;
  /** The reply, encoded once for every line of every connection. */
  reply: Buffer;
  maxLineBytes: number;
  idleTimeoutMs: number;
  keepAliveMs: number;
}

/** How long a connection we closed after an over-long line may keep sending before it is cut. */
const DISCARD_GRACE_MS = 5_000;

/**
 * Serves one client: one reply per line, `shutdown` ends the connection.
 * Half-open is allowed so that a last line without newline before the
 * client's FIN is still answered.
 */
export function serveConnection(socket: Socket, ctx: ConnectionContext): void {
  const peer = formatPeer(socket);
  // No child logger per connection: with many idle connections its per-instance state costs more memory
  // than naming the peer in each record does CPU.
  const { log } = ctx;
  const framer = new LineFramer({ maxLineBytes: ctx.maxLineBytes });
  const started = Date.now();
  let lines = 0;
  let closing = false;
  /** Why the connection ended, for the one "client gone" record. */
  let reason = 'client closed';

  log.info({ peer }, 'a new client');
  socket.setNoDelay(true);
  if (ctx.keepAliveMs > 0) socket.setKeepAlive(true, ctx.keepAliveMs);
  if (ctx.idleTimeoutMs > 0) socket.setTimeout(ctx.idleTimeoutMs);

  /** Answers one line; false when the connection is closing or the client is not reading fast enough. */
  const answer = (line: string): boolean => {
    lines++;
    log.info({ peer, line }, 'line');
    const ok = socket.write(ctx.reply);
    if (line === SHUTDOWN_LINE) {
      closing = true;
      reason = 'shutdown requested by client';
      socket.end();
      return false;
    }
    return ok;
  };

  // Lines received but not yet answered because the client stopped reading: a client that sends but never
  // reads must not make us buffer without bound, so we stop reading until its socket drains.
  let backlog: string[] | undefined;
  let backlogAt = 0;

  const serve = (got: string[], from: number): void => {
    const many = got.length - from > 1;
    if (many) socket.cork();
    let i = from;
    while (i < got.length && !closing) if (!answer(got[i++]!)) break;
    if (many) socket.uncork();
    if (!closing && i < got.length) {
      backlog = got;
      backlogAt = i;
    } else backlog = undefined;
    if (!closing && socket.writableNeedDrain) socket.pause();
  };

  socket.on('drain', () => {
    if (closing) return;
    if (backlog) serve(backlog, backlogAt);
    if (!backlog && !socket.writableNeedDrain) socket.resume();
  });

  socket.on('data', (chunk: Buffer) => {
    // Discarding after shutdown, an over-long line, or the server's own shutdown timeout (which ends sockets).
    if (closing || socket.writableEnded) return;
    const { lines: got, overflow } = framer.push(chunk);
    if (got.length > 0) serve(got, 0);
    if (overflow && !closing) {
      closing = true;
      reason = 'line too long';
      backlog = undefined;
      log.warn({ peer, maxLineBytes: ctx.maxLineBytes }, 'line too long: closing connection');
      socket.end(`error: line longer than ${ctx.maxLineBytes} bytes; closing\n`);
      // Keep reading (and dropping) so the client sees the error line instead of a reset, but not forever.
      socket.resume();
      setTimeout(() => socket.destroy(), DISCARD_GRACE_MS).unref();
    }
  });

  socket.on('end', () => {
    if (!closing && !socket.writableEnded) {
      const last = framer.end();
      if (last !== undefined) answer(last);
    }
    // A second end() costs an error object with a stack trace: measurable when connections are short.
    if (!socket.writableEnded) socket.end();
  });

  // Listeners only where needed: each one is memory held by every idle connection.
  if (ctx.idleTimeoutMs > 0) {
    socket.on('timeout', () => {
      log.info({ peer, idleTimeoutMs: ctx.idleTimeoutMs }, 'idle timeout: closing connection');
      closing = true;
      reason = 'idle timeout';
      socket.end();
      setTimeout(() => socket.destroy(), DISCARD_GRACE_MS).unref();
    });
  }

  socket.on('error', (err: NodeJS.ErrnoException) => {
    reason = err.code === 'ECONNRESET' ? 'client reset the connection' : `socket error: ${err.message}`;
  });

  socket.on('close', () => {
    ctx.open?.delete(socket);
    if (socket.writableEnded && reason === 'client closed' && !socket.readableEnded) reason = 'closed by the server';
    log.info({ peer, lines, durationMs: Date.now() - started, reason }, 'client gone');
  });
}
