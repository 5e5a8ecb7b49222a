import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReadyBanner, RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { openLineClient, openServedClient, runCli, type SpawnedServer, spawnRsServer } from '@lvs-drain-kit/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
const servers: SpawnedServer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rs-drain-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop(1000)));
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  rs: SpawnedServer;
  ctl: string;
  agentPort: number;
  statusPort: number;
}

async function start(args: string[] = []): Promise<Started> {
  const ctl = join(dir, 'run', 'ctl.sock');
  const rs = await spawnRsServer(['--name', 'rs1', '--ctl', ctl, '--agent-port', '0', '--status-port', '0', ...args]);
  servers.push(rs);
  const banner = await rs.waitForRecord((r) => parseReadyBanner(String(r.msg)) !== undefined);
  return { rs, ctl, agentPort: Number(banner.agentPort), statusPort: Number(banner.statusPort) };
}

/** What HAProxy reads from the agent port. */
function agent(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    s.on('error', reject);
    s.on('end', () => resolve(got));
  });
}

async function http(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The real binary, to the end: `{ code, stdout, stderr }`. */
const run = (args: string[]) => runCli(RS_SERVER_BIN, args, { timeoutMs: 15_000 });

/** Polls `read` until it returns `want` (bounded): signals and log records are asynchronous. */
async function until<T>(read: () => Promise<T>, want: T, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  let got = await read();
  while (got !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    got = await read();
  }
  return got;
}

describe('rs-server drain state (real binary)', () => {
  it('ctl drain / maint / ready change what the agent, /healthz and check say; connections go on', async () => {
    const { rs, ctl, agentPort, statusPort } = await start();
    expect(statSync(ctl).mode & 0o777).toBe(0o600);
    const c = await openServedClient(rs.port, 'before');

    expect(await agent(agentPort)).toBe('up ready\n');
    expect((await http(statusPort, '/healthz')).status).toBe(200);
    expect(await run(['check', '--ctl', ctl])).toMatchObject({ code: 0, stdout: 'ready\n' });
    expect(await run(['check', '--ctl', ctl, '--weight', '5', '--quiet'])).toMatchObject({ code: 7, stdout: '' });

    const drained = await run(['ctl', 'drain', '--ctl', ctl]);
    expect(drained.code).toBe(0);
    expect(drained.stdout).toMatch(/^rs-server \d+: drain \(was ready\), 1 connection open; since .* \(ctl\)\n$/);
    expect(await agent(agentPort)).toBe('up drain\n');
    expect((await http(statusPort, '/healthz')).status).toBe(503);
    expect(await run(['check', '--ctl', ctl, '--weight', '5'])).toMatchObject({ code: 2, stdout: 'drain\n' });
    // As keepalived on the director asks: over the network, through the agent port.
    expect(await run(['check', '--agent', `127.0.0.1:${agentPort}`, '--weight', '5'])).toMatchObject({
      code: 2,
      stdout: `drain (agent 127.0.0.1:${agentPort}: "up drain")\n`,
    });
    // Draining changes what health checkers see, not the open connections.
    c.send('during\n');
    await c.waitForLines(2);
    const fresh = await openServedClient(rs.port, 'new');
    fresh.socket.destroy();

    expect((await run(['ctl', 'maint', '--ctl', ctl])).code).toBe(0);
    expect(await agent(agentPort)).toBe('maint\n');
    expect((await run(['check', '--ctl', ctl])).code).toBe(1);
    expect((await run(['check', '--agent', `127.0.0.1:${agentPort}`, '--quiet'])).code).toBe(1);

    expect((await run(['ctl', 'weight', '50', '--ctl', ctl])).code).toBe(0);
    const ready = await run(['ctl', 'ready', '--ctl', ctl, '--json']);
    expect(JSON.parse(ready.stdout)).toMatchObject({
      ok: true,
      state: 'ready',
      previous: 'maint',
      weightPercent: 50,
      open: 1,
    });
    expect(await agent(agentPort)).toBe('up ready 50%\n');
    await rs.waitForRecord((r) => r.msg === 'state: drain' && r.by === 'ctl');
    c.socket.destroy();
    // Thirteen runs of the real binary, each a Node start: more than the default on two busy cores.
  }, 90_000);

  it('SIGUSR2 toggles drain', async () => {
    const { rs, agentPort } = await start();
    rs.child.kill('SIGUSR2');
    expect(await until(() => agent(agentPort), 'up drain\n')).toBe('up drain\n');
    rs.child.kill('SIGUSR2');
    expect(await until(() => agent(agentPort), 'up ready\n')).toBe('up ready\n');
    await rs.waitForRecord((r) => r.msg === 'state: ready' && r.by === 'SIGUSR2');
  });

  it('/metrics: connections by reason, lines, bytes, drain state and process metrics', async () => {
    const { rs, ctl, statusPort } = await start();
    const a = await openLineClient(rs.port);
    a.send('one\ntwo\nshutdown\n');
    await a.closed;
    const b = await openServedClient(rs.port, 'x');
    await run(['ctl', 'drain', '--ctl', ctl]);
    const closed = () =>
      http(statusPort, '/metrics').then((m) =>
        /^rs_server_connections_closed_total\{reason="client_shutdown"\} 1$/m.test(m.body),
      );
    expect(await until(closed, true)).toBe(true);
    const { status, body } = await http(statusPort, '/metrics');
    expect(status).toBe(200);
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(body)?.[1]);
    expect(value('rs_server_connections_open')).toBe(1);
    expect(value('rs_server_connections_accepted_total')).toBe(2);
    expect(value('rs_server_lines_total')).toBe(4);
    expect(value('rs_server_received_bytes_total')).toBe('one\ntwo\nshutdown\nx\n'.length);
    expect(value('rs_server_sent_bytes_total')).toBe(4 * "it's from the host: rs1\n".length);
    expect(value('rs_server_state{state="drain"}')).toBe(1);
    expect(value('rs_server_state{state="ready"}')).toBe(0);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    b.socket.destroy();
  });

  it('--drain-on-term: SIGTERM drains until the open connection ends and a check saw it, then stops', async () => {
    const { rs, agentPort, statusPort } = await start(['--drain-on-term', '20s', '--shutdown-timeout', '5s']);
    const c = await openServedClient(rs.port, 'hello');
    rs.child.kill('SIGTERM');
    await rs.waitForRecord((r) => String(r.msg).startsWith('draining before the stop'));
    // Health checkers are told; new connections are still taken (the director may not know yet).
    expect(await agent(agentPort)).toBe('up drain\n');
    expect((await http(statusPort, '/healthz')).status).toBe(503);
    const late = await openServedClient(rs.port, 'late');
    late.send('shutdown\n');
    await late.closed;
    // The old connection goes on during the drain; when it ends, the server stops.
    c.send('still here\n');
    await c.waitForLines(2);
    c.send('shutdown\n');
    await c.closed;
    const code = await rs.exited;
    expect(code).toBe(0);
    const steps = rs.records.map((r) => String(r.msg)).filter((m) => /drain|state:|shutting|stopped/.test(m));
    expect(steps).toEqual([
      'draining before the stop: health checks are told "drain", open connections go on',
      'state: drain',
      'drained: no connection open and a health check saw the drain',
      'shutting down: no new connections, serving open ones',
      'state: stopping',
      'stopped',
    ]);
  });

  it('--drain-on-term is bounded: a connection that stays open is served on until --shutdown-timeout', async () => {
    const { rs } = await start(['--drain-on-term', '300ms', '--shutdown-timeout', '300ms']);
    const c = await openServedClient(rs.port, 'x');
    const t0 = Date.now();
    rs.child.kill('SIGTERM');
    expect(await c.closed).toBe('end');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(await rs.exited).toBe(0);
    const over = await rs.waitForRecord((r) => r.msg === 'drain time over: stopping anyway');
    expect(over).toMatchObject({ open: 1, seenByHealthCheck: false });
  });

  it('ctl is refused while the server stops (exit 4); a second server on the same socket fails (exit 3)', async () => {
    const { rs, ctl } = await start(['--drain-on-term', '10s']);
    const c = await openLineClient(rs.port);
    const other = await run(['0', '--host', '127.0.0.1', '--ctl', ctl]);
    expect(other.code).toBe(3);
    expect(other.stderr).toBe(`rs-server: control socket ${ctl} is in use by a running server\n`);
    rs.child.kill('SIGTERM');
    await rs.waitForRecord((r) => String(r.msg).startsWith('draining before the stop'));
    const r = await run(['ctl', 'ready', '--ctl', ctl]);
    expect(r).toMatchObject({ code: 4, stderr: 'rs-server: the server is stopping (drain); the state stays\n' });
    c.socket.destroy();
  });

  it('replaces a stale control socket left by a killed server', async () => {
    const first = await start();
    first.rs.child.kill('SIGKILL');
    await once(first.rs.child, 'exit');
    expect(statSync(first.ctl).isSocket()).toBe(true);
    const second = await start();
    expect((await run(['ctl', 'status', '--ctl', second.ctl])).code).toBe(0);
  });
});
