import { connect as netConnect, type Socket } from 'node:net';
import { formatHostPort, type HostPort } from '@lvs-drain-kit/common';
import { ConnectError, type ConnectFailure } from './errors.js';

const REASONS: Record<string, ConnectFailure> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  ETIMEDOUT: 'timeout',
};

const WORDS: Record<ConnectFailure, string> = {
  refused: 'connection refused (nothing listens there, or a firewall rejects it)',
  unreachable: 'host or network unreachable',
  dns: 'host name not resolved',
  timeout: 'timed out',
  other: 'failed',
};

function errnoCode(err: unknown): string | undefined {
  // With several addresses for a name, Node tries each and reports an AggregateError.
  if (err instanceof AggregateError) return errnoCode(err.errors[0]);
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Turns a socket error from a connection attempt into one clear line. */
export function connectErrorFrom(err: unknown, target: HostPort): ConnectError {
  const code = errnoCode(err);
  const reason = (code && REASONS[code]) || 'other';
  const detail = reason === 'other' ? `${WORDS.other}: ${(err as Error).message}` : WORDS[reason];
  return new ConnectError(
    `cannot connect to ${formatHostPort(target)}: ${detail}${code ? ` (${code})` : ''}`,
    reason,
    code,
  );
}

export interface TcpConnectOptions {
  target: HostPort;
  /** Gives up after this long; the kernel's own SYN timeout can be minutes. */
  connectTimeoutMs: number;
}

/** Opens a TCP connection or rejects with a `ConnectError`. */
export function connectTcp(options: TcpConnectOptions): Promise<Socket> {
  const { target, connectTimeoutMs } = options;
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new ConnectError(
          `cannot connect to ${formatHostPort(target)}: timed out after ${connectTimeoutMs}ms (--connect-timeout)`,
          'timeout',
        ),
      );
    }, connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(connectErrorFrom(err, target));
    };
    socket.once('error', onError);
  });
}
