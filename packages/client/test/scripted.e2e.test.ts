import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { runClient, type SpawnedServer, spawnRsServer } from '@lvs-drain-kit/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/** A TCP server of the test's own, for peers rs-server never is: silent, resetting, closing. */
async function tcpServer(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe('lvs-client connect, scripted (stdin not a terminal)', () => {
  let rs: SpawnedServer;
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  let blocker: ChildProcess | undefined;

  beforeAll(async () => {
    rs = await spawnRsServer(['--name', 'rs-script']);
  });
  afterAll(async () => {
    await rs?.stop();
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    if (blocker) {
      blocker.kill('SIGKILL');
      await once(blocker, 'exit').catch(() => undefined);
      blocker = undefined;
    }
  });

  it('sends each stdin line, prints each reply on stdout, messages on stderr, exits 0 after the last reply', async () => {
    const r = await runClient(['connect', `127.0.0.1:${rs.port}`], 'one\ntwo\nthree\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("it's from the host: rs-script\n".repeat(3));
    expect(r.stderr).toMatch(/^connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+ \(tcp\)$/m);
    expect(r.stderr).toContain('sent 3 lines, received 3');
    // The server saw exactly the lines, CRLF stripped or not.
    const lines = rs.records.filter((x) => x.msg === 'line').map((x) => x.line);
    expect(lines.slice(-3)).toEqual(['one', 'two', 'three']);
  });

  it('--crlf ends lines with \\r\\n; a last line without newline is sent too', async () => {
    const got: Buffer[] = [];
    const { server, port } = await tcpServer((s) => {
      sockets.push(s);
      s.on('data', (d) => {
        got.push(d);
        for (const _ of d.toString().matchAll(/\n/g)) s.write('ok\n');
      });
    });
    servers.push(server);
    const r = await runClient(['connect', `127.0.0.1:${port}`, '--crlf'], 'a\nb');
    expect(r.code).toBe(0);
    expect(Buffer.concat(got).toString()).toBe('a\r\nb\r\n');
    expect(r.stdout).toBe('ok\nok\n');
  });

  it('exits 3 with one line when the connection is refused', async () => {
    // Port 1 on loopback: nothing listens there.
    const r = await runClient(['connect', '127.0.0.1:1'], 'x\n');
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'lvs-client: cannot connect to 127.0.0.1:1: connection refused (nothing listens there, or a firewall rejects it) (ECONNREFUSED)',
    ]);
  });

  it('exits 4 when connecting takes longer than --connect-timeout', async () => {
    // A listener whose process never accepts: once its backlog is full the kernel drops further SYNs.
    blocker = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
           process.stdout.write(s.address().port + '\\n');
           Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [portLine] = (await once(createInterface({ input: blocker.stdout! }), 'line')) as [string];
    const port = Number(portLine);
    const { connect } = await import('node:net');
    // Fill the accept queue; connections beyond it hang, which is all we need.
    for (let i = 0; i < 4; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
    }
    // Full once the kernel holds more completed connections than the backlog (ss: Recv-Q > Send-Q).
    const queue = () => {
      const [recvQ, sendQ] = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' })
        .trim()
        .split(/\s+/)
        .slice(1, 3)
        .map(Number);
      return recvQ! > sendQ!;
    };
    await expect.poll(queue, { timeout: 5000 }).toBe(true);
    const r = await runClient(['connect', `127.0.0.1:${port}`, '--connect-timeout', '300ms'], 'x\n');
    expect(r.stderr.trim()).toBe(
      `lvs-client: cannot connect to 127.0.0.1:${port}: timed out after 300ms (--connect-timeout)`,
    );
    expect(r.code).toBe(4);
  });

  it('exits 4 when a reply does not come within --timeout', async () => {
    const { server, port } = await tcpServer((s) => {
      sockets.push(s);
      s.resume(); // reads, never answers
    });
    servers.push(server);
    const r = await runClient(['connect', `127.0.0.1:${port}`, '--timeout', '300ms'], 'anyone?\n');
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('lvs-client: no reply within 300ms (--timeout): 0 of 1 lines answered');
  });

  it('exits 5 and says how when the peer resets or closes before every reply came', async () => {
    const reset = await tcpServer((s) => {
      sockets.push(s);
      s.once('data', () => s.resetAndDestroy());
    });
    const close = await tcpServer((s) => {
      sockets.push(s);
      s.once('data', () => s.end('first\n'));
    });
    servers.push(reset.server, close.server);
    let r = await runClient(['connect', `127.0.0.1:${reset.port}`], 'a\nb\n');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('lvs-client: connection reset by peer (ECONNRESET) after 0 of 2 replies');
    r = await runClient(['connect', `127.0.0.1:${close.port}`], 'a\nb\n');
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('first\n');
    expect(r.stderr).toContain('lvs-client: connection closed by peer after 1 of 2 replies');
  });

  it('exits 0 when "shutdown" is the last line: the server answers, then closes', async () => {
    const r = await runClient(['connect', `127.0.0.1:${rs.port}`], 'hi\nshutdown\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("it's from the host: rs-script\n".repeat(2));
  });

  it('rejects a bad address with one line and exit 2', async () => {
    const r = await runClient(['connect', '127.0.0.1:99999']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^lvs-client: .*invalid port "99999"/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
