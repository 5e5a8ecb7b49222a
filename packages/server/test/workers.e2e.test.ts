import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    rs.child.kill('SIGTERM');
    // Both workers have begun their graceful stop.
    const stopping = () =>
      rs.records.filter((r) => String(r.msg).startsWith('shutting down') && r.signal === 'primary');
    await expect.poll(() => stopping().length).toBe(2);
    // Open connections are still served during the graceful stop.
    for (const c of clients) {
      c.send('shutdown\n');
      expect(await c.closed).toBe('end');
      expect(c.lines).toEqual([REPLY, REPLY]);
    }
    const code = await rs.exited;
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

  it('one drain state for all workers: ctl, the agent and /metrics (summed over workers) in the primary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-workers-'));
    try {
      const ctl = join(dir, 'ctl.sock');
      const rs = await spawnRsServer([
        '--name',
        'rs1',
        '--workers',
        '2',
        '--ctl',
        ctl,
        '--agent-port',
        '0',
        '--status-port',
        '0',
        '--drain-on-term',
        '10s',
      ]);
      servers.push(rs);
      const banner = await rs.waitForRecord((r) => parseReadyBanner(String(r.msg)) !== undefined);
      const agent = () =>
        new Promise<string>((resolve) => {
          const s = connect({ port: Number(banner.agentPort), host: '127.0.0.1' });
          let got = '';
          s.setEncoding('utf8').on('data', (d: string) => {
            got += d;
          });
          s.on('end', () => resolve(got));
        });
      const clients = await Promise.all(Array.from({ length: 10 }, () => openLineClient(rs.port)));
      await Promise.all(
        clients.map(async (c) => {
          c.send('a\nb\n');
          await c.waitForLines(2);
        }),
      );
      const metrics = await (await fetch(`http://127.0.0.1:${banner.statusPort}/metrics`)).text();
      expect(metrics).toMatch(/^rs_server_lines_total 20$/m);
      expect(metrics).toMatch(/^rs_server_connections_open 10$/m);
      expect(metrics).toMatch(/^rs_server_state\{state="ready"\} 1$/m);

      const drained = spawn(process.execPath, [RS_SERVER_BIN, 'ctl', 'drain', '--ctl', ctl]);
      expect((await once(drained, 'exit'))[0]).toBe(0);
      expect(await agent()).toBe('up drain\n');

      // SIGTERM: the primary drains until a health check saw it, then each worker until its connections end.
      rs.child.kill('SIGTERM');
      await rs.waitForRecord((r) => String(r.msg).startsWith('draining before the stop'));
      expect(await agent()).toMatch(/drain/); // counts as the health check the drain waits for
      await rs.waitForRecord((r) => r.msg === 'a health check saw the drain: the workers drain now');
      for (const c of clients) {
        c.send('still\nshutdown\n');
        expect(await c.closed).toBe('end');
        expect(c.lines).toEqual([REPLY, REPLY, REPLY, REPLY]);
      }
      expect(await rs.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
