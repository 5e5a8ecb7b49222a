import { once } from 'node:events';
import { connect } from 'node:net';
import { openLineClient, type SpawnedServer, spawnRsServer } from '@lvs-drain-kit/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpuSeconds } from './proc.js';

let rs: SpawnedServer;
beforeEach(async () => {
  rs = await spawnRsServer(['--name', 'rs1', '--status-port', '0']);
});

/** What the server has read so far, from its /metrics. */
async function receivedBytes(server: SpawnedServer): Promise<number> {
  const banner = await server.waitForRecord((r) => r.statusPort !== undefined);
  const text = await (await fetch(`http://127.0.0.1:${banner.statusPort}/metrics`)).text();
  return Number(/^rs_server_received_bytes_total (\d+)$/m.exec(text)?.[1]);
}
afterEach(async () => {
  await rs.stop(1000);
});

const REPLY = "it's from the host: rs1\n";

describe('rs-server protocol (real binary)', () => {
  it('answers every line byte-exact: LF, CRLF, an empty line', async () => {
    const sock = connect({ port: rs.port, host: '127.0.0.1' });
    await once(sock, 'connect');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.write('hello\r\nworld\n\n');
    await expect.poll(() => Buffer.concat(chunks).toString('latin1')).toBe(REPLY.repeat(3));
    sock.destroy();
  });

  it('closes only the connection that sent "shutdown", after answering it', async () => {
    const a = await openLineClient(rs.port);
    const b = await openLineClient(rs.port);
    a.send('one\nshutdown\nnever answered\n');
    expect(await a.closed).toBe('end');
    expect(a.lines).toEqual([REPLY.trimEnd(), REPLY.trimEnd()]);
    b.send('still here\n');
    expect(await b.waitForLines(1)).toEqual([REPLY.trimEnd()]);
    b.send('shutdown\n');
    expect(await b.closed).toBe('end');
    await rs.waitForRecord((r) => r.msg === 'client gone' && r.reason === 'shutdown requested by client');
  });

  it('serves 200 concurrent clients, each line answered and logged in order per client', async () => {
    const N = 200;
    const PER = 10;
    const clients = await Promise.all(Array.from({ length: N }, () => openLineClient(rs.port)));
    await Promise.all(
      clients.map(async (c, i) => {
        for (let j = 0; j < PER; j++) {
          c.send(`c${i}-${j}\n`);
          await c.waitForLines(j + 1);
        }
        c.send('shutdown\n');
        await c.closed;
      }),
    );
    for (const c of clients) expect(c.lines).toEqual(Array(PER + 1).fill(REPLY.trimEnd()));
    await rs.waitForRecord(() => rs.records.filter((r) => r.msg === 'line').length >= N * (PER + 1));
    const perPeer = new Map<string, string[]>();
    for (const r of rs.records) {
      if (r.msg !== 'line') continue;
      const list = perPeer.get(String(r.peer)) ?? [];
      list.push(String(r.line));
      perPeer.set(String(r.peer), list);
    }
    expect(perPeer.size).toBe(N);
    for (const lines of perPeer.values()) {
      const i = /^c(\d+)-/.exec(lines[0] ?? '')?.[1];
      expect(lines).toEqual([...Array.from({ length: PER }, (_, j) => `c${i}-${j}`), 'shutdown']);
    }
  });

  it('survives a client reset mid-line, releases it, and does not spin', async () => {
    const sock = connect({ port: rs.port, host: '127.0.0.1' });
    await once(sock, 'connect');
    sock.write('half a li');
    // Mid-line: the server has read the half line when the reset comes.
    await expect.poll(() => receivedBytes(rs)).toBe('half a li'.length);
    sock.resetAndDestroy();
    await rs.waitForRecord((r) => r.msg === 'client gone' && r.reason === 'client reset the connection');
    const before = cpuSeconds(rs.child.pid!);
    await new Promise((r) => setTimeout(r, 1000));
    // The original server spins at 100% CPU after a client leaves; one idle second must cost next to nothing.
    expect(cpuSeconds(rs.child.pid!) - before).toBeLessThan(0.3);
    const c = await openLineClient(rs.port);
    c.send('after\n');
    expect(await c.waitForLines(1)).toEqual([REPLY.trimEnd()]);
    c.socket.destroy();
  });

  it('answers a last line without newline when the client half-closes, then closes', async () => {
    const c = await openLineClient(rs.port);
    c.socket.end('first\nlast without newline');
    expect(await c.closed).toBe('end');
    expect(c.lines).toEqual([REPLY.trimEnd(), REPLY.trimEnd()]);
    await rs.waitForRecord((r) => r.msg === 'line' && r.line === 'last without newline');
    expect(rs.records.filter((r) => r.msg === 'line').map((r) => r.line)).toEqual(['first', 'last without newline']);
  });

  it('takes NUL, control bytes and invalid UTF-8 without crashing, and logs them escaped in JSON', async () => {
    const c = await openLineClient(rs.port);
    c.send(Buffer.from([0x00, 0x1b, 0x5b, 0x32, 0x4a, 0xff, 0xc3, 0x0a]).toString('latin1'));
    c.socket.write(Buffer.from([0x00, 0x1b, 0xff, 0xc3, 0x0a]));
    await c.waitForLines(2);
    c.send('shutdown\n');
    await c.closed;
    await rs.waitForRecord((r) => r.msg === 'line' && r.line === 'shutdown');
    const logged = rs.records.filter((r) => r.msg === 'line').map((r) => r.line);
    expect(logged[1]).toBe('\u0000\u001b\ufffd\ufffd');
    expect(rs.child.exitCode).toBeNull();
  });
});
