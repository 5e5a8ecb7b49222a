import { createServer, type Server, type Socket } from 'node:net';
import { formatReply, formatSocketAddress } from '@lvs-drain-kit/common';
import type { Logger } from 'pino';
import { acceptQueued } from './accept-queue.js';
import { serveConnection } from './connection.js';
import { ListenError } from './errors.js';
import type { ServerOptions } from './options.js';
import { createStats, type ServerStats } from './stats.js';

export interface RsServer {
  /** The bound address (the real port when 0 was asked). */
  readonly address: { address: string; port: number; family: string };
  readonly connectionCount: number;
  /** Counters for /metrics (connections, lines, bytes). */
  readonly stats: ServerStats;
  /**
   * Accepts the connections already queued in the kernel, then stops accepting; open connections go on
   * until they end or `timeoutMs` passes, then the rest are closed. Resolves when all are gone.
   */
  shutdown(timeoutMs: number): Promise<{ closedByTimeout: number; acceptedQueued: number }>;
  /** Closes every connection and the listener now. */
  destroy(): Promise<void>;
}

export type StartOptions = Pick<
  ServerOptions,
  'port' | 'host' | 'name' | 'maxLineBytes' | 'idleTimeoutMs' | 'maxConnections' | 'keepAliveMs'
> & { log: Logger };

/** Longest time spent taking queued connections before the listener closes. */
const ACCEPT_QUEUED_MAX_MS = 2_000;

const LISTEN_HINTS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this host',
};

export async function startRsServer(options: StartOptions): Promise<RsServer> {
  const { log } = options;
  const sockets = new Set<Socket>();
  const stats = createStats();
  const ctx = {
    stats,
    log,
    open: sockets,
    reply: Buffer.from(formatReply(options.name)),
    maxLineBytes: options.maxLineBytes,
    idleTimeoutMs: options.idleTimeoutMs,
    keepAliveMs: options.keepAliveMs,
  };
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => {
    sockets.add(socket); // serveConnection removes it on close
    stats.accepted++;
    serveConnection(socket, ctx);
  });
  if (options.maxConnections > 0) server.maxConnections = options.maxConnections;
  server.on('drop', (info) => {
    stats.refused++;
    log.warn(
      { peer: formatSocketAddress(info?.remoteAddress, info?.remotePort), maxConnections: options.maxConnections },
      'connection refused: max-connections reached',
    );
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = `${options.host ?? '*'}:${options.port}`;
      const hint = (err.code && LISTEN_HINTS[err.code]) ?? err.message;
      reject(new ListenError(`cannot listen on ${where}: ${hint}`, err.code));
    };
    server.once('error', onError);
    server.listen({ port: options.port, host: options.host, backlog: 4096 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'listener error'));

  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new ListenError('listener has no TCP address', undefined);

  const closeListener = () => new Promise<void>((resolve) => server.close(() => resolve()));

  return {
    address: addr,
    get connectionCount() {
      return sockets.size;
    },
    stats,
    async shutdown(timeoutMs) {
      const acceptedQueued = await acceptQueued(server, Math.min(timeoutMs, ACCEPT_QUEUED_MAX_MS));
      const listenerClosed = closeListener();
      let closedByTimeout = 0;
      if (sockets.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            closedByTimeout = sockets.size;
            // end() first so replies already written still reach the client.
            for (const s of sockets) s.end();
            setTimeout(() => {
              for (const s of sockets) s.destroy();
            }, 1000).unref();
          }, timeoutMs);
          const check = () => {
            if (sockets.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          };
          for (const s of sockets) s.once('close', () => setImmediate(check));
          check();
        });
      }
      await listenerClosed;
      return { closedByTimeout, acceptedQueued };
    },
    async destroy() {
      const listenerClosed = closeListener();
      for (const s of sockets) s.destroy();
      await listenerClosed;
    },
  };
}
