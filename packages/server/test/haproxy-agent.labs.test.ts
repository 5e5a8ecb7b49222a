/**
 * Drain from the server's side through a real HAProxy (Debian's), on 127.0.0.1: the backend of
 * examples/haproxy.cfg (its server options as written, addresses and ports made local), two rs-servers
 * with --agent-port. `rs-server ctl drain` → HAProxy marks the server DRAIN by itself; old connections go
 * on, new ones avoid it; `ctl ready` brings it back; `ctl weight 50` sets half its weight.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { freePort, openLineClient, type SpawnedServer, spawnRsServer } from '@lvs-drain-kit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const EXAMPLE = new URL('../../../examples/haproxy.cfg', import.meta.url);

let dir: string;
let haproxy: ChildProcess | undefined;
let frontPort: number;
const rs: Record<'rs1' | 'rs2', SpawnedServer & { ctl: string }> = {} as never;

/** The example's backend, with each server's address and agent port replaced by local ones. */
function exampleBackend(ports: Record<string, { port: number; agentPort: number }>): string {
  const text = readFileSync(EXAMPLE, 'utf8');
  const backend = text.slice(text.indexOf('backend '));
  return backend.replace(
    /^(\s*server (\S+)) \S+:\d+ (.*) agent-port \d+ (.*)$/gm,
    (_, head: string, name: string, before: string, after: string) => {
      const p = ports[name];
      if (!p) throw new Error(`example server ${name} has no local stand-in`);
      // Faster checks than the example's 2 s, so the test waits less; every other option as written.
      const opts = `${before} agent-port ${p.agentPort} ${after}`.replace(/\b(inter|agent-inter) 2s\b/g, '$1 200ms');
      return `${head} 127.0.0.1:${p.port} ${opts}`;
    },
  );
}

function api(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(join(dir, 'haproxy.sock'));
    let out = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.on('connect', () => s.end(`${command}\n`));
  });
}

/** `show stat` of one server: its status and weight as HAProxy reports them. */
async function stat(server: string): Promise<{ status: string; weight: number }> {
  const csv = await api('show stat');
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const cols = header!.split(',');
  const row = rows.map((r) => r.split(',')).find((r) => r[0] === 'rs_servers' && r[1] === server);
  if (!row) throw new Error(`no ${server} in show stat:\n${csv}`);
  return { status: row[cols.indexOf('status')]!, weight: Number(row[cols.indexOf('weight')]) };
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(v)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}

const ctl = (name: 'rs1' | 'rs2', ...request: string[]) =>
  exec(process.execPath, [RS_SERVER_BIN, 'ctl', ...request, '--ctl', rs[name].ctl]);

/** Which server answers `n` new connections through HAProxy. */
async function newConnections(n: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await openLineClient(frontPort);
    c.send('who\n');
    const [line] = await c.waitForLines(1);
    names.push(line!.replace("it's from the host: ", ''));
    c.socket.destroy();
  }
  return names;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rs-haproxy-'));
  const ports: Record<string, { port: number; agentPort: number }> = {};
  for (const name of ['rs1', 'rs2'] as const) {
    const agentPort = await freePort();
    const ctlPath = join(dir, `${name}.sock`);
    const server = await spawnRsServer([
      ...['--name', name, '--agent-port', String(agentPort), '--ctl', ctlPath],
      ...['--drain-on-term', '10s', '--shutdown-timeout', '5s'],
    ]);
    rs[name] = Object.assign(server, { ctl: ctlPath });
    ports[name] = { port: server.port, agentPort };
  }
  frontPort = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  stats socket ${join(dir, 'haproxy.sock')} mode 600 level admin
  pidfile ${join(dir, 'haproxy.pid')}

defaults
  timeout connect 2s
  timeout client 1m
  timeout server 1m

frontend front
  mode tcp
  bind 127.0.0.1:${frontPort}
  default_backend rs_servers

${exampleBackend(ports)}`,
  );
  await exec('haproxy', ['-c', '-q', '-f', cfg]);
  haproxy = execFile('haproxy', ['-db', '-f', cfg]);
  await until(
    () => Promise.all([stat('rs1'), stat('rs2')]).catch(() => []),
    (s) => s.length === 2 && s.every((x) => x.status === 'UP'),
  );
});

afterAll(async () => {
  if (haproxy && haproxy.exitCode === null) {
    haproxy.kill('SIGTERM');
    await once(haproxy, 'exit');
  }
  await Promise.all(Object.values(rs).map((s) => s.stop(1000)));
  rmSync(dir, { recursive: true, force: true });
});

describe('HAProxy agent-check drains an rs-server that asks for it (real HAProxy)', () => {
  it('ctl drain: HAProxy sets DRAIN itself, old connections go on, new ones avoid it; ctl ready: back', async () => {
    expect(new Set(await newConnections(6))).toEqual(new Set(['rs1', 'rs2']));
    const old = await Promise.all(Array.from({ length: 6 }, () => openLineClient(frontPort)));
    const served = await Promise.all(
      old.map(async (c) => {
        c.send('hello\n');
        return (await c.waitForLines(1))[0];
      }),
    );
    const onRs1 = old.filter((_, i) => served[i] === "it's from the host: rs1");
    expect(onRs1.length).toBeGreaterThan(0);

    await ctl('rs1', 'drain');
    expect(
      await until(
        () => stat('rs1'),
        (s) => s.status !== 'UP',
      ),
    ).toEqual({ status: 'DRAIN (agent)', weight: 100 });
    expect((await stat('rs2')).status).toBe('UP');

    // Old connections on rs1 go on; every new connection goes to rs2.
    for (const c of onRs1) {
      c.send('still there\n');
      expect((await c.waitForLines(2))[1]).toBe("it's from the host: rs1");
    }
    expect(new Set(await newConnections(10))).toEqual(new Set(['rs2']));

    await ctl('rs1', 'ready');
    expect(
      await until(
        () => stat('rs1'),
        (s) => s.status === 'UP',
      ),
    ).toEqual({ status: 'UP', weight: 100 });
    expect(new Set(await newConnections(6))).toEqual(new Set(['rs1', 'rs2']));
    for (const c of old) c.socket.destroy();
  });

  it('ctl maint takes the server out (MAINT) and ctl ready brings it back; ctl weight 50 halves its weight', async () => {
    await ctl('rs1', 'maint');
    expect(
      (
        await until(
          () => stat('rs1'),
          (s) => s.status !== 'UP',
        )
      ).status,
    ).toMatch(/^MAINT/);
    expect(new Set(await newConnections(6))).toEqual(new Set(['rs2']));
    await ctl('rs1', 'ready');
    await until(
      () => stat('rs1'),
      (s) => s.status === 'UP',
    );

    await ctl('rs1', 'weight', '50');
    expect(
      await until(
        () => stat('rs1'),
        (s) => s.weight !== 100,
      ),
    ).toEqual({ status: 'UP', weight: 50 });
    await ctl('rs1', 'weight', '100');
    await until(
      () => stat('rs1'),
      (s) => s.weight === 100,
    );
    await ctl('rs1', 'weight', 'none');
  });

  it('SIGTERM with --drain-on-term: HAProxy drains the server before it stops; its open connection goes on', async () => {
    const old = await Promise.all(Array.from({ length: 4 }, () => openLineClient(frontPort)));
    const served = await Promise.all(
      old.map(async (c) => {
        c.send('hello\n');
        return (await c.waitForLines(1))[0];
      }),
    );
    const onRs2 = old[served.indexOf("it's from the host: rs2")]!;
    const exited = once(rs.rs2.child, 'exit');
    rs.rs2.child.kill('SIGTERM');
    expect(
      (
        await until(
          () => stat('rs2'),
          (s) => s.status !== 'UP',
        )
      ).status,
    ).toBe('DRAIN (agent)');
    expect(new Set(await newConnections(6))).toEqual(new Set(['rs1']));
    onRs2.send('still there\n');
    expect((await onRs2.waitForLines(2))[1]).toBe("it's from the host: rs2");
    for (const c of old) c.socket.destroy();
    expect((await exited)[0]).toBe(0);
    expect(rs.rs2.records.map((r) => r.msg).filter((m) => /^(drain|shutting|stopped)/.test(String(m)))).toEqual([
      'draining before the stop: health checks are told "drain", open connections go on',
      'drained: no connection open and a health check saw the drain',
      'shutting down: no new connections, serving open ones',
      'stopped',
    ]);
  });
});
