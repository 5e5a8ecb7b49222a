import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandResult, CommandTransport, RunOptions } from '@lvs-drain-kit/common';
import { LineFramer } from '@lvs-drain-kit/common';
import { SerialTransportError } from '../errors.js';
import { encodeRequest, ReplyCollector, scriptFor } from './serial-framing.js';

export interface SerialTransportOptions {
  /** How long to keep retrying to connect (qemu serves one client at a time). */
  connectTimeoutMs?: number;
  /** How long to wait for the guest's acknowledgement before sending a request again. */
  ackTimeoutMs?: number;
  /** Default per-command timeout. */
  timeoutMs?: number;
}

const locks = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task on the same socket path finished: one request on the wire at a time. */
function serialise<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  const tail = next.catch(() => {});
  locks.set(key, tail);
  void tail.then(() => {
    if (locks.get(key) === tail) locks.delete(key);
  });
  return next;
}

async function connectWithRetry(path: string, deadline: number): Promise<Socket> {
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = connect(path);
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(socket);
        });
        socket.once('error', reject);
      });
    } catch (err) {
      if (Date.now() > deadline) {
        throw new SerialTransportError(
          `cannot connect to the director's serial channel ${path}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      await sleep(100);
    }
  }
}

/**
 * A CommandTransport into the IPVS director VM over its second serial port (a qemu unix socket chardev).
 * argv is quoted word by word into a script and sent base64-encoded; see serial-framing.ts.
 */
export function createSerialTransport(ctlSockPath: string, options: SerialTransportOptions = {}): CommandTransport {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const ackTimeoutMs = options.ackTimeoutMs ?? 1000;
  return {
    description: `lab director vm (serial ${ctlSockPath})`,
    run(argv: readonly string[], runOptions: RunOptions = {}): Promise<CommandResult> {
      if (argv.length === 0) return Promise.reject(new SerialTransportError('empty argv'));
      const timeoutMs = runOptions.timeoutMs ?? options.timeoutMs ?? 30_000;
      return serialise(ctlSockPath, async () => {
        const socket = await connectWithRetry(ctlSockPath, Date.now() + connectTimeoutMs);
        const nonce = randomBytes(6).toString('hex');
        const collector = new ReplyCollector(nonce);
        const framer = new LineFramer({ maxLineBytes: 1 << 20 });
        try {
          return await new Promise<CommandResult>((resolve, reject) => {
            const request = encodeRequest(nonce, scriptFor(argv, runOptions.input));
            // A serial line can drop bytes now and then (seen about once in a hundred requests under
            // load): until the guest acknowledges, send the request again. The guest runs each nonce once.
            const resend = setInterval(() => {
              if (!collector.acknowledged) socket.write(request);
            }, ackTimeoutMs);
            const timer = setTimeout(
              () =>
                reject(
                  new SerialTransportError(`no reply from the director within ${timeoutMs} ms: ${argv.join(' ')}`),
                ),
              timeoutMs,
            );
            socket.once('close', () => clearInterval(resend));
            socket.on('data', (chunk: Buffer) => {
              for (const line of framer.push(chunk).lines) {
                const reply = collector.push(line);
                if (reply) {
                  clearTimeout(timer);
                  resolve(reply);
                }
              }
            });
            socket.once('error', (err) => {
              clearTimeout(timer);
              reject(new SerialTransportError(`serial channel error: ${err.message}`, { cause: err }));
            });
            socket.once('close', () => {
              clearTimeout(timer);
              reject(new SerialTransportError('serial channel closed before the reply'));
            });
            socket.write(request);
          });
        } finally {
          socket.destroy();
        }
      });
    },
  };
}
