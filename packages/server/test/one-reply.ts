import type { Socket } from 'node:net';

/**
 * What a client that sent one line gets: the reply (the client ends its side once a whole line came),
 * or the error code when the connection was reset instead.
 */
export function oneReplyOrError(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      got += d;
      if (got.endsWith('\n')) socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    socket.on('close', () => resolve(got));
  });
}
