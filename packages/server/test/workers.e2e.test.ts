import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseReadyBanner, RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { openLineClient, type SpawnedServer, spawnRsServer } from '@lvs-drain-kit/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const servers: SpawnedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop(2000)));
});

const REPLY = "it's from the host: rs1";

describe('rs-server --workers (real binary)', () => {
  it('serves through every worker, one banner, and stops gracefully on SIGTERM', async () => {
    const rs = await spawnRsServer(['--name', 'rs1', '--workers', '2', '--shutdown-timeout', '5s']);
    servers.push(rs);
    const clients = await Promise.all(Array.from({ length: 20 }, () => openLineClient(rs.port)));
    await Promise.all(
      clients.map(async (c) => {
        c.send('hello\n');
        await c.waitForLines(1);
      }),
    );
    // Both workers took connections: each logs its own pid.
    await rs.waitForRecord(() => rs.records.filter((r) => r.msg === 'a new client').length >= 20);
    const pids = new Set(rs.records.filter((r) => r.msg === 'a new client').map((r) => r.pid));
    expect(pids.size).toBe(2);
    expect(rs.records.filter((r) => parseReadyBanner(String(r.msg)) !== undefined)).toHaveLength(1);

    const exited = once(rs.child, 'exit');
    rs.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    // Open connections are still served during the graceful stop.
    for (const c of clients) {
      c.send('shutdown\n');
      expect(await c.closed).toBe('end');
      expect(c.lines).toEqual([REPLY, REPLY]);
    }
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it('a port in use fails once, with one line and exit 3', async () => {
    const first = await spawnRsServer(['--name', 'rs1']);
    servers.push(first);
    const child = spawn(
      process.execPath,
      [RS_SERVER_BIN, String(first.port), '--host', '127.0.0.1', '--workers', '2'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(3);
    expect(stderr).toBe(`rs-server: cannot listen on 127.0.0.1:${first.port}: address already in use\n`);
  });
});
