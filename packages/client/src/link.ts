import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import { formatHostPort, formatSocketAddress, type HostPort, LineFramer } from '@lvs-drain-kit/common';
import { connectErrorFrom, connectTcp } from './connect.js';
import { ConnectError } from './errors.js';

export type Protocol = 'tcp' | 'udp';

/** How a connection ended, as the operator is told. */
export type DropKind = 'closed' | 'reset' | 'timeout' | 'refused' | 'error' | 'local';

export interface Drop {
  kind: DropKind;
  message: string;
}

export interface LinkHandlers {
  /** Raw bytes as they arrive (for the hex view and byte counters). */
  onData?(bytes: Buffer): void;
  onLine(line: string): void;
  onDrop(drop: Drop): void;
}

export interface LinkOptions {
  target: HostPort;
  protocol: Protocol;
  connectTimeoutMs: number;
  /** Send `\r\n` instead of `\n` (TCP only; a datagram carries a line without terminator). */
  crlf?: boolean;
  maxLineBytes?: number;
}

/** A TCP connection or a connected UDP socket that sends and receives lines. */
export interface Link {
  readonly protocol: Protocol;
  readonly local: string;
  readonly remote: string;
  readonly connectedAt: number;
  readonly open: boolean;
  /** Sends one line; returns the bytes put on the wire. */
  send(line: string): number;
  /** TCP: half-close and let the peer finish. UDP: close. */
  end(): void;
  destroy(): void;
}

const TCP_KEEPALIVE_MS = 30_000;

function dropFromError(err: NodeJS.ErrnoException): Drop {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return { kind: 'reset', message: `connection reset by peer (${err.code})` };
    case 'ETIMEDOUT':
      return { kind: 'timeout', message: 'connection timed out (peer stopped answering)' };
    case 'ECONNREFUSED':
      return { kind: 'refused', message: 'peer refused the datagram (ICMP port unreachable)' };
    default:
      return { kind: 'error', message: `connection error: ${err.message}` };
  }
}

function tcpLink(socket: Socket, options: LinkOptions, handlers: LinkHandlers): Link {
  const framer = new LineFramer({ maxLineBytes: options.maxLineBytes });
  const eol = options.crlf ? '\r\n' : '\n';
  let open = true;
  let endedByUs = false;
  let drop: Drop | undefined;
  socket.setNoDelay(true);
  // Lets a peer that vanished without FIN or RST (power loss, cable) end as "timed out" instead of hanging.
  socket.setKeepAlive(true, TCP_KEEPALIVE_MS);

  socket.on('data', (chunk: Buffer) => {
    handlers.onData?.(chunk);
    const { lines, overflow } = framer.push(chunk);
    for (const line of lines) handlers.onLine(line);
    if (overflow) {
      drop = { kind: 'error', message: `received a line longer than ${framer.maxLineBytes} bytes; closing` };
      socket.destroy();
    }
  });
  socket.on('end', () => {
    const last = framer.end();
    if (last !== undefined) handlers.onLine(last);
    drop ??= endedByUs
      ? { kind: 'local', message: 'connection closed' }
      : { kind: 'closed', message: 'connection closed by peer' };
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    drop ??= dropFromError(err);
  });
  socket.on('close', () => {
    open = false;
    handlers.onDrop(drop ?? { kind: 'local', message: 'connection closed' });
  });

  const link: Link = {
    protocol: 'tcp',
    local: formatSocketAddress(socket.localAddress, socket.localPort),
    remote: formatSocketAddress(socket.remoteAddress, socket.remotePort),
    connectedAt: Date.now(),
    get open() {
      return open;
    },
    send(line) {
      const data = Buffer.from(line + eol, 'utf8');
      socket.write(data);
      return data.length;
    },
    end() {
      endedByUs = true;
      if (!socket.writableEnded) socket.end();
      // A peer that never closes its side must not keep us waiting.
      setTimeout(() => socket.destroy(), 2_000).unref();
    },
    destroy() {
      endedByUs = true;
      drop ??= { kind: 'local', message: 'connection closed' };
      socket.destroy();
    },
  };
  return link;
}

async function udpLink(options: LinkOptions, handlers: LinkHandlers): Promise<Link> {
  const { target } = options;
  let address: string;
  let family: number;
  try {
    ({ address, family } = await lookup(target.host));
  } catch (err) {
    throw connectErrorFrom(err, target);
  }
  const socket: UdpSocket = createSocket(family === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ConnectError(`cannot connect to ${formatHostPort(target)}: timed out`, 'timeout')),
      options.connectTimeoutMs,
    );
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(connectErrorFrom(err, target));
    });
    socket.connect(target.port, address, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve();
    });
  });
  let open = true;
  let drop: Drop | undefined;
  socket.on('message', (msg: Buffer) => {
    handlers.onData?.(msg);
    // One datagram is one line; a trailing newline from a line-oriented peer is not part of it.
    handlers.onLine(msg.toString('utf8').replace(/\r?\n$/, ''));
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    drop ??= dropFromError(err);
    socket.close();
  });
  socket.on('close', () => {
    open = false;
    handlers.onDrop(drop ?? { kind: 'local', message: 'socket closed' });
  });
  const local = socket.address();
  const remote = socket.remoteAddress();
  const close = () => {
    if (open) socket.close();
  };
  return {
    protocol: 'udp',
    local: formatSocketAddress(local.address, local.port),
    remote: formatSocketAddress(remote.address, remote.port),
    connectedAt: Date.now(),
    get open() {
      return open;
    },
    send(line) {
      const data = Buffer.from(line, 'utf8');
      socket.send(data);
      return data.length;
    },
    end: close,
    destroy: close,
  };
}

/** Connects once; rejects with a `ConnectError` that says why in one line. */
export async function openLink(options: LinkOptions, handlers: LinkHandlers): Promise<Link> {
  if (options.protocol === 'udp') return udpLink(options, handlers);
  const socket = await connectTcp(options);
  return tcpLink(socket, options, handlers);
}
