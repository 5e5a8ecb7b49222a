import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { parseReadyBanner, RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { openLineClient, type SpawnedServer, spawnRsServer } from '@lvs-drain-kit/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { peakRss } from './proc.js';

const servers: SpawnedServer[] = [];
const sockets: Socket[] = [];
async function start(args: string[] = []) {
  const rs = await spawnRsServer(['--name', 'rs1', ...args]);
  servers.push(rs);
  return rs;
}
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop(1000)));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

function runBin(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [RS_SERVER_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('rs-server hardening (real binary)', () => {
  it('closes a connection that sends 100 MB without a newline, with one error line, within +64 MB RSS', async () => {
    const rs = await start();
    await sleep(200);
    const base = peakRss(rs.child.pid!);
    const sock = connect({ port: rs.port, host: '127.0.0.1' });
    sockets.push(sock);
    await once(sock, 'connect');
    let received = '';
    sock.setEncoding('utf8').on('data', (d: string) => {
      received += d;
    });
    const ended = new Promise<void>((resolve) => sock.once('end', () => resolve()));
    const chunk = Buffer.alloc(MB, 0x61);
    let sent = 0;
    sock.on('error', () => {});
    while (sent < 100 * MB && !sock.destroyed) {
      if (!sock.write(chunk)) await Promise.race([once(sock, 'drain'), once(sock, 'close')]);
      sent += MB;
    }
    await ended;
    expect(received).toBe('error: line longer than 65536 bytes; closing\n');
    expect(peakRss(rs.child.pid!) - base).toBeLessThan(64 * MB);
    await rs.waitForRecord((r) => r.msg === 'line too long: closing connection');
  });

  it('stops reading from a client that sends lines but never reads (backpressure), memory bounded', async () => {
    // Per-line logging off here: this is about reply buffering, and a million log records would only add GC churn.
    const rs = await start(['--log-level', 'warn']);
    await sleep(200);
    const base = peakRss(rs.child.pid!);
    const sock = connect({ port: rs.port, host: '127.0.0.1' });
    sockets.push(sock);
    await once(sock, 'connect');
    sock.pause(); // never read: without backpressure the server would buffer 12 bytes of reply per byte sent
    const block = Buffer.from('x\n'.repeat(32 * 1024));
    for (let i = 0; i < 2000; i++) sock.write(block); // offers 128 MB of lines (1.5 GB of replies)
    await sleep(2000);
    // The server stopped taking data: most of what was offered is still queued on the client's side.
    expect(sock.writableLength).toBeGreaterThan(96 * MB);
    expect(peakRss(rs.child.pid!) - base).toBeLessThan(64 * MB);
    // The server is alive and serves others meanwhile.
    const c = await openLineClient(rs.port);
    c.send('hi\n');
    await c.waitForLines(1);
    c.socket.destroy();
  });

  it('closes idle connections after --idle-timeout, with a log record', async () => {
    const rs = await start(['--idle-timeout', '300ms']);
    const c = await openLineClient(rs.port);
    c.send('one\n');
    await c.waitForLines(1);
    const t0 = Date.now();
    expect(await c.closed).toBe('end');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await rs.waitForRecord((r) => String(r.msg).startsWith('idle timeout'));
  });

  it('refuses connections beyond --max-connections, with a log record', async () => {
    const rs = await start(['--max-connections', '2']);
    const a = await openLineClient(rs.port);
    const b = await openLineClient(rs.port);
    a.send('a\n');
    b.send('b\n');
    await Promise.all([a.waitForLines(1), b.waitForLines(1)]);
    const c = await openLineClient(rs.port);
    c.send('c\n');
    const how = await c.closed;
    expect(c.lines).toEqual([]);
    expect(['end', 'ECONNRESET', 'EPIPE']).toContain(how);
    await rs.waitForRecord((r) => r.msg === 'connection refused: max-connections reached');
    a.send('shutdown\n');
    await a.closed;
    const d = await openLineClient(rs.port);
    d.send('d\n');
    expect(await d.waitForLines(1)).toHaveLength(1);
    for (const s of [b, d]) s.socket.destroy();
  });

  it('on SIGTERM stops accepting, answers every line of 100 busy connections, then exits 0', async () => {
    const rs = await start(['--shutdown-timeout', '5s']);
    const clients = await Promise.all(Array.from({ length: 100 }, () => openLineClient(rs.port)));
    let stop = false;
    const sent = new Array<number>(clients.length).fill(0);
    const loops = clients.map(async (c, i) => {
      while (!stop) {
        c.send(`busy ${i} ${sent[i]}\n`);
        sent[i]!++;
        await c.waitForLines(sent[i]!, 5000);
      }
      c.send('shutdown\n');
      sent[i]!++;
      await c.closed;
    });
    await sleep(300);
    const exited = once(rs.child, 'exit');
    rs.child.kill('SIGTERM');
    await sleep(300);
    // New connections are refused once the signal arrived.
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ port: rs.port, host: '127.0.0.1' });
      s.on('connect', () => resolve('connected'));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    stop = true;
    await Promise.all(loops);
    clients.forEach((c, i) => {
      expect(c.lines.length).toBe(sent[i]);
    });
    expect(sent.reduce((a, b) => a + b, 0)).toBeGreaterThan(100 * 5);
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it('closes what is still open when --shutdown-timeout passes, and exits 0', async () => {
    const rs = await start(['--shutdown-timeout', '400ms']);
    const c = await openLineClient(rs.port);
    c.send('x\n');
    await c.waitForLines(1);
    const exited = once(rs.child, 'exit');
    const t0 = Date.now();
    rs.child.kill('SIGTERM');
    c.socket.removeAllListeners('end'); // stay half-open: keep talking after the server ended its side
    await once(c.socket, 'end');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    c.socket.write('too late\n');
    expect((await exited)[0]).toBe(0);
    expect(c.lines).toEqual(["it's from the host: rs1"]);
    await rs.waitForRecord((r) => r.msg === 'client gone' && r.reason === 'closed by the server');
    expect(rs.stderr()).toBe('');
    expect(rs.records.filter((r) => Number(r.level) >= 50)).toEqual([]);
  });

  it('exits at once on a second signal', async () => {
    const rs = await start(['--shutdown-timeout', '30s']);
    const c = await openLineClient(rs.port);
    c.send('x\n');
    await c.waitForLines(1);
    const exited = once(rs.child, 'exit');
    rs.child.kill('SIGTERM');
    await sleep(200);
    rs.child.kill('SIGTERM');
    const t0 = Date.now();
    const [code] = await exited;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(code).toBe(143);
    c.socket.destroy();
  });

  it('a second rs-server on the same port fails with exit 3 and one line', async () => {
    const rs = await start();
    const { code, stderr } = await runBin([String(rs.port), '--host', '127.0.0.1']);
    expect(code).toBe(3);
    expect(stderr).toBe(`rs-server: cannot listen on 127.0.0.1:${rs.port}: address already in use\n`);
  });

  it.each([
    [['abc'], /invalid port "abc"/],
    [['70000'], /invalid port "70000"/],
    [['--max-line-bytes', '0'], /expected a whole number 1-/],
    [['--idle-timeout', 'soon'], /invalid duration "soon"/],
    [['--log-format', 'xml'], /log-format/],
    [['--bogus'], /unknown option '--bogus'/],
    [['1', '2'], /too many arguments/],
  ])('rejects bad input %j with exit 2 and one line', async (args, pattern) => {
    const { code, stderr } = await runBin(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(pattern);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('escapes control characters in pretty logs', async () => {
    const child = spawn(process.execPath, [RS_SERVER_BIN, '0', '--host', '127.0.0.1', '--log-format', 'pretty'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    try {
      const deadline = Date.now() + 5000;
      const bannerPort = () =>
        out
          .split('\n')
          .map(parseReadyBanner)
          .find((p) => p !== undefined);
      while (bannerPort() === undefined && Date.now() < deadline) await sleep(20);
      const port = bannerPort()!;
      const c = await openLineClient(port);
      c.send('\u001b[2J\u001b]0;owned\u0007\n');
      await c.waitForLines(1);
      c.send('shutdown\n');
      await c.closed;
      await sleep(200);
      expect(out).toContain('"line":"\\u001b[2J\\u001b]0;owned\\u0007"');
      expect(out).not.toContain('\u001b');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
