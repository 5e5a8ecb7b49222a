/**
 * The one way every probe opens its connection: TCP (optionally TLS on top), bounded by a timeout, with
 * the failure as a failure class. The connect time is measured here, for every probe alike.
 */
import { connect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { classifySocketError } from './classify.js';
import { ConnectFailure, type ConnectTarget } from './connection.js';

/** TLS on top of the connection (the http probe's `--tls`). */
export interface TlsSettings {
  /** SNI and the name the certificate must carry; default the target's host when it is a name. */
  servername?: string;
  /** PEM certificates to trust instead of the system's. */
  ca?: string | Buffer;
  /** Accept any certificate. */
  insecure?: boolean;
}

export interface Opened {
  socket: Socket | TLSSocket;
  /** TCP connect (and the TLS handshake, with `tls`), in milliseconds. */
  connectMs: number;
}

/** Connects to `target`, with TLS when `tls` is given; rejects with a ConnectFailure. */
export function openSocket(target: ConnectTarget, tls?: TlsSettings): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const where = {
      host: target.host,
      port: target.port,
      localPort: target.localPort,
      localAddress: target.localAddress,
    };
    const socket = tls
      ? tlsConnect({
          ...where,
          ...(tls.servername ? { servername: tls.servername } : {}),
          ...(tls.ca ? { ca: tls.ca } : {}),
          rejectUnauthorized: !tls.insecure,
          ALPNProtocols: ['http/1.1'],
        })
      : connect(where);
    socket.setNoDelay(true);
    let settled = false;
    const timer = setTimeout(() => {
      // As in the probes' ask(): a connect that completed while the loop stood still is seen in the poll
      // phase that follows the timers; look again after it.
      setImmediate(() => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(new ConnectFailure('timeout', `no connection within ${target.timeoutMs} ms`));
      });
    }, target.timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ socket, connectMs: performance.now() - started });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(connectFailure(err));
    });
  });
}

/** A refused, reset or unreachable connect; a certificate that does not verify is `garbled` (TLS). */
function connectFailure(err: NodeJS.ErrnoException): ConnectFailure {
  const code = err.code;
  if (code && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code))) {
    return new ConnectFailure('garbled', `TLS: ${err.message}`, code);
  }
  return new ConnectFailure(classifySocketError(code), code ?? err.message, code);
}
