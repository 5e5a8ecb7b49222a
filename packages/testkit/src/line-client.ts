/** A minimal line client for tests: send lines, await reply lines, see how the connection ended. */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { LineFramer } from '@lvs-drain-kit/common';

/** A connected line client. */
export interface LineClient {
  socket: Socket;
  lines: string[];
  send(text: string): void;
  /** Resolves once `n` lines in total have arrived (rejects after `timeoutMs`). */
  waitForLines(n: number, timeoutMs?: number): Promise<string[]>;
  /** Resolves when the server closed: 'end' (FIN) or the error code. */
  closed: Promise<string>;
}

export async function openLineClient(port: number, host = '127.0.0.1'): Promise<LineClient> {
  const socket = connect({ port, host, allowHalfOpen: true });
  await once(socket, 'connect');
  const framer = new LineFramer({ maxLineBytes: 1 << 20 });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    lines.push(...framer.push(chunk).lines);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<string>((resolve) => {
    let how = 'end';
    socket.on('end', () => {
      const last = framer.end();
      if (last !== undefined) lines.push(last);
      for (const w of waiters.splice(0)) w();
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      how = err.code ?? err.message;
    });
    socket.on('close', () => resolve(how));
  });
  return {
    socket,
    lines,
    closed,
    send: (text) => socket.write(text),
    waitForLines(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`got ${lines.length} of ${n} lines: ${JSON.stringify(lines.slice(-3))}`)),
          timeoutMs,
        );
        const check = () => {
          if (lines.length >= n) {
            clearTimeout(timer);
            resolve(lines.slice(0, n));
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** A client that has sent `line` and got its reply: a connection the server is surely serving. */
export async function openServedClient(port: number, line = 'x', host = '127.0.0.1'): Promise<LineClient> {
  const client = await openLineClient(port, host);
  client.send(`${line}\n`);
  await client.waitForLines(1);
  return client;
}
