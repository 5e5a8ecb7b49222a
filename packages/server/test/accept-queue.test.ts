import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type RsServer, startRsServer } from '../src/server.js';
import { oneReplyOrError } from './one-reply.js';

describe('shutdown takes the connections already queued in the kernel', () => {
  let rs: RsServer | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await rs?.destroy();
  });

  it('answers 50 connections that completed the handshake before shutdown, none reset', async () => {
    rs = await startRsServer({
      port: 0,
      host: '127.0.0.1',
      name: 'rs1',
      maxLineBytes: 1024,
      idleTimeoutMs: 0,
      maxConnections: 0,
      keepAliveMs: 0,
      log: pino({ level: 'silent' }),
    });
    const port = rs.address.port;
    // Same event loop: until this test yields, the server cannot accept anything, so all 50 wait in the
    // kernel's accept queue when shutdown begins (a loopback handshake completes inside connect()).
    for (let i = 0; i < 50; i++) {
      const s = connect({ port, host: '127.0.0.1' });
      s.write(`line ${i}\n`);
      sockets.push(s);
    }
    const answers = sockets.map(oneReplyOrError);
    // net.connect() to an IP address connects on the next tick: shut down on the tick after those, before
    // the event loop could accept anything.
    const server = rs;
    const stopped = new Promise<{ acceptedQueued: number }>((resolve, reject) =>
      process.nextTick(() => server.shutdown(5_000).then(resolve, reject)),
    );
    const results = await Promise.all(answers);
    const { acceptedQueued } = await stopped;
    expect(results.filter((r) => r === "it's from the host: rs1\n")).toHaveLength(50);
    expect(acceptedQueued).toBeGreaterThan(0);
  });
});
