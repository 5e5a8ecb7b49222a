import type { Socket } from 'node:net';
import { formatPeer, LineFramer, SHUTDOWN_LINE } from '@lvs-drain-kit/common';
import type { Logger } from 'pino';
import { CLOSE_REASONS, type CloseReason, type ServerStats } from './stats.js';

export interface ConnectionContext {
  log: Logger;
  /** The open connections; a connection removes itself when closed. */
  open?: Set<Socket>;
  /** The reply, encoded once for every line of every connection. */
  reply: Buffer;
  maxLineBytes: number;
  idleTimeoutMs: number;
  keepAliveMs: number;
  /** Counters for /metrics; the connection adds to them. */
  stats?: ServerStats;
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
  const stats = ctx.stats;
  let lines = 0;
  let closing = false;
  /** Why the connection ended, for the one "client gone" record and the closed-connections counter. */
  let reason: CloseReason = 'client_closed';
  let errorMessage: string | undefined;

  log.info({ peer }, 'a new client');
  socket.setNoDelay(true);
  if (ctx.keepAliveMs > 0) socket.setKeepAlive(true, ctx.keepAliveMs);
  if (ctx.idleTimeoutMs > 0) socket.setTimeout(ctx.idleTimeoutMs);

  /** Answers one line; false when the connection is closing or the client is not reading fast enough. */
  const answer = (line: string): boolean => {
    lines++;
    log.info({ peer, line }, 'line');
    if (stats) {
      stats.lines++;
      stats.bytesSent += ctx.reply.length;
    }
    const ok = socket.write(ctx.reply);
    if (line === SHUTDOWN_LINE) {
      closing = true;
      reason = 'client_shutdown';
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
    if (stats) stats.bytesReceived += chunk.length;
    // Discarding after shutdown, an over-long line, or the server's own shutdown timeout (which ends sockets).
    if (closing || socket.writableEnded) return;
    const { lines: got, overflow } = framer.push(chunk);
    if (got.length > 0) serve(got, 0);
    if (overflow && !closing) {
      closing = true;
      reason = 'line_too_long';
      backlog = undefined;
      log.warn({ peer, maxLineBytes: ctx.maxLineBytes }, 'line too long: closing connection');
      const error = `error: line longer than ${ctx.maxLineBytes} bytes; closing\n`;
      if (stats) stats.bytesSent += Buffer.byteLength(error);
      socket.end(error);
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
      reason = 'idle_timeout';
      socket.end();
      setTimeout(() => socket.destroy(), DISCARD_GRACE_MS).unref();
    });
  }

  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNRESET') reason = 'client_reset';
    else {
      reason = 'socket_error';
      errorMessage = err.message;
    }
  });

  socket.on('close', () => {
    ctx.open?.delete(socket);
    if (socket.writableEnded && reason === 'client_closed' && !socket.readableEnded) reason = 'server_closed';
    if (stats) stats.closed[reason]++;
    const text = errorMessage ? `${CLOSE_REASONS[reason]}: ${errorMessage}` : CLOSE_REASONS[reason];
    log.info({ peer, lines, durationMs: Date.now() - started, reason: text }, 'client gone');
  });
}
