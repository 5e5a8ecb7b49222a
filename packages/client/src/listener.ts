import { createSocket, type RemoteInfo } from 'node:dgram';
import type { EventEmitter } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { formatSocketAddress, LineFramer } from '@lvs-drain-kit/common';
import { ListenError } from './errors.js';
import type { Drop, Protocol } from './link.js';

export interface ListenOptions {
  port: number;
  /** Address to bind; undefined binds every address. */
  host?: string;
  protocol: Protocol;
  crlf?: boolean;
  maxLineBytes?: number;
}

export interface ListenClient {
  /** 1, 2, 3... in order of arrival; what `/to N` selects. */
  id: number;
  address: string;
  connectedAt: number;
}

export interface ListenHandlers {
  onClient(client: ListenClient): void;
  onLine(client: ListenClient, line: string): void;
  onGone(client: ListenClient, drop: Drop): void;
}

export interface Listener {
  /** `host:port` actually bound (port 0 picks one). */
  address: string;
  port: number;
  clients(): ListenClient[];
  /** Sends a line to a client; false when it is gone. */
  send(id: number, line: string): boolean;
  /** TCP: ends that client's connection. UDP: forgets it. */
  disconnect(id: number): boolean;
  stop(): Promise<void>;
}

function bindError(err: NodeJS.ErrnoException, where: string): ListenError {
  const why =
    err.code === 'EADDRINUSE'
      ? 'address already in use'
      : err.code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges)'
        : err.code === 'EADDRNOTAVAIL'
          ? 'address not on this host'
          : err.message;
  return new ListenError(`cannot listen on ${where}: ${why}`, err.code);
}

/** SocketTest's server mode: accepts clients, reports their lines, sends lines to one of them. */
export async function startListener(options: ListenOptions, handlers: ListenHandlers): Promise<Listener> {
  return options.protocol === 'udp' ? startUdp(options, handlers) : startTcp(options, handlers);
}

/** Resolves once `start` has bound the port; an error before that is a ListenError saying where. */
function bound(target: EventEmitter, options: ListenOptions, start: (done: () => void) => void): Promise<void> {
  const where = `${options.host ?? '*'}:${options.port}`;
  return new Promise((resolve, reject) => {
    target.once('error', (err: NodeJS.ErrnoException) => reject(bindError(err, where)));
    start(() => resolve());
  });
}

/** The bound address as the listener reports it (`[::1]:7000`), and its port (the one chosen for port 0). */
function boundAt(addr: AddressInfo): Pick<Listener, 'address' | 'port'> {
  return { address: formatSocketAddress(addr.address, addr.port), port: addr.port };
}

async function startTcp(options: ListenOptions, handlers: ListenHandlers): Promise<Listener> {
  const eol = options.crlf ? '\r\n' : '\n';
  const sockets = new Map<number, { client: ListenClient; socket: Socket }>();
  let nextId = 1;
  const server = createServer((socket) => {
    const client: ListenClient = {
      id: nextId++,
      address: formatSocketAddress(socket.remoteAddress, socket.remotePort),
      connectedAt: Date.now(),
    };
    sockets.set(client.id, { client, socket });
    const framer = new LineFramer({ maxLineBytes: options.maxLineBytes });
    let drop: Drop | undefined;
    socket.setNoDelay(true);
    handlers.onClient(client);
    socket.on('data', (chunk: Buffer) => {
      const { lines, overflow } = framer.push(chunk);
      for (const line of lines) handlers.onLine(client, line);
      if (overflow) {
        drop = { kind: 'error', message: 'sent an over-long line; closed' };
        socket.destroy();
      }
    });
    socket.on('end', () => {
      const last = framer.end();
      if (last !== undefined) handlers.onLine(client, last);
      drop ??= { kind: 'closed', message: 'closed the connection' };
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      drop ??=
        err.code === 'ECONNRESET'
          ? { kind: 'reset', message: 'reset the connection' }
          : { kind: 'error', message: err.message };
    });
    socket.on('close', () => {
      sockets.delete(client.id);
      handlers.onGone(client, drop ?? { kind: 'local', message: 'disconnected' });
    });
  });
  await bound(server, options, (done) => server.listen(options.port, options.host, done));
  return {
    ...boundAt(server.address() as AddressInfo),
    clients: () => [...sockets.values()].map((s) => s.client),
    send(id, line) {
      const s = sockets.get(id);
      if (!s || s.socket.writableEnded) return false;
      s.socket.write(line + eol);
      return true;
    },
    disconnect(id) {
      const s = sockets.get(id);
      if (!s) return false;
      s.socket.end();
      setTimeout(() => s.socket.destroy(), 2_000).unref();
      return true;
    },
    stop() {
      for (const s of sockets.values()) s.socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function startUdp(options: ListenOptions, handlers: ListenHandlers): Promise<Listener> {
  const isV6 = options.host?.includes(':') ?? false;
  const socket = createSocket(isV6 ? 'udp6' : 'udp4');
  const peers = new Map<string, { client: ListenClient; rinfo: RemoteInfo }>();
  const byId = new Map<number, { client: ListenClient; rinfo: RemoteInfo }>();
  let nextId = 1;
  socket.on('message', (msg, rinfo) => {
    const key = formatSocketAddress(rinfo.address, rinfo.port);
    let peer = peers.get(key);
    if (!peer) {
      peer = { client: { id: nextId++, address: key, connectedAt: Date.now() }, rinfo };
      peers.set(key, peer);
      byId.set(peer.client.id, peer);
      handlers.onClient(peer.client);
    }
    handlers.onLine(peer.client, msg.toString('utf8').replace(/\r?\n$/, ''));
  });
  await bound(socket, options, (done) =>
    socket.bind(options.port, options.host, () => {
      socket.removeAllListeners('error');
      // A datagram socket has no connection to lose; an ICMP error for one peer must not end the listener.
      socket.on('error', () => undefined);
      done();
    }),
  );
  return {
    ...boundAt(socket.address()),
    clients: () => [...byId.values()].map((p) => p.client),
    send(id, line) {
      const p = byId.get(id);
      if (!p) return false;
      socket.send(Buffer.from(line, 'utf8'), p.rinfo.port, p.rinfo.address);
      return true;
    },
    disconnect(id) {
      const p = byId.get(id);
      if (!p) return false;
      byId.delete(id);
      peers.delete(p.client.address);
      handlers.onGone(p.client, { kind: 'local', message: 'forgotten' });
      return true;
    },
    stop() {
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
}
