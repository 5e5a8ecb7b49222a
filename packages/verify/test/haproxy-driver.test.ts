import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runVerify, type SpawnedServer, spawnRsServer, tempDir } from '@lvs-drain-kit/testkit';
import { createHaproxyDriver } from '@lvs-drain-kit/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A free port on 127.0.0.1 (the kernel picks it; HAProxy binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let state: Awaited<ReturnType<typeof tempDir>>;
let servers: SpawnedServer[] = [];
let haproxy: ChildProcess | undefined;
let haproxyErr = '';
let vipPort: number;
let socket: string;

beforeAll(async () => {
  state = await tempDir('lvs-verify-haproxy-');
  servers = await Promise.all([
    spawnRsServer(['--name', 'rs1'], '127.0.0.2'),
    spawnRsServer(['--name', 'rs2'], '127.0.0.3'),
  ]);
  vipPort = await freePort();
  socket = join(state.path, 'admin.sock');
  const cfg = join(state.path, 'haproxy.cfg');
  await writeFile(
    cfg,
    [
      'global',
      `  stats socket ${socket} mode 600 level admin`,
      'defaults',
      '  mode tcp',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      'frontend fe',
      `  bind 127.0.0.1:${vipPort}`,
      '  default_backend be',
      'backend be',
      '  balance roundrobin',
      `  server rs1 127.0.0.2:${servers[0]!.port} weight 1`,
      `  server rs2 127.0.0.3:${servers[1]!.port} weight 1`,
      '',
    ].join('\n'),
  );
  haproxy = spawn('/usr/sbin/haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  haproxy.stderr!.setEncoding('utf8').on('data', (d: string) => {
    haproxyErr += d;
  });
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (Date.now() > deadline || haproxy.exitCode !== null) throw new Error(`haproxy did not start: ${haproxyErr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  if (haproxy && haproxy.exitCode === null) {
    const exited = new Promise((r) => haproxy!.once('exit', r));
    haproxy.kill('SIGTERM');
    await exited;
  }
  await Promise.all(servers.map((s) => s.stop()));
  await state?.remove();
});

describe('haproxy driver against a real HAProxy (runtime API on a unix socket)', () => {
  /** drain-test's flags for the VIP in front of HAProxy and its two rs-servers, draining rs1. */
  const clusterFlags = () => [
    'drain-test',
    '--vip',
    `127.0.0.1:${vipPort}`,
    '--real',
    `127.0.0.2:${servers[0]!.port}`,
    '--real',
    `127.0.0.3:${servers[1]!.port}`,
    '--drain',
    `127.0.0.2:${servers[0]!.port}`,
  ];

  it('reads, sets and puts back a weight by server address', async () => {
    const driver = createHaproxyDriver({ socket, backend: 'be' });
    const service = { vip: { host: '127.0.0.1', port: vipPort } };
    const rs1 = { host: '127.0.0.2', port: servers[0]!.port };
    const state = await driver.inspect(service);
    expect(state.servers).toEqual([
      { host: '127.0.0.2', port: servers[0]!.port, weight: 1 },
      { host: '127.0.0.3', port: servers[1]!.port, weight: 1 },
    ]);
    await driver.setWeight(service, rs1, 0);
    expect(await driver.getWeight(service, rs1)).toBe(0);
    await driver.setWeight(service, rs1, 1);
    expect(await driver.getWeight(service, rs1)).toBe(1);
    expect(driver.manualCommand(service, rs1, 1)).toBe(
      `echo 'set weight be/rs1 1' | socat stdio unix-connect:${socket}`,
    );
  });

  it('drain-test passes through HAProxy: old connections survive set weight 0, new ones avoid rs1', async () => {
    const r = await runVerify(
      [
        ...clusterFlags(),
        '--driver',
        'haproxy',
        '--haproxy-socket',
        socket,
        '--haproxy-backend',
        'be',
        '--hold',
        '1s',
        '--interval',
        '100ms',
        '--json',
      ],
      state.path,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      verdict: string;
      servers: Array<{ name: string; weightDuringDrain?: number; connectionsAfter: number }>;
    };
    expect(report.verdict).toBe('pass');
    const rs1 = report.servers.find((s) => s.name === 'rs1')!;
    expect(rs1.weightDuringDrain).toBe(0);
    expect(rs1.connectionsAfter).toBeGreaterThan(0);
  });

  it('an unknown backend is an environment error (exit 3)', async () => {
    const r = await runVerify(
      [...clusterFlags(), '--driver', 'haproxy', '--haproxy-socket', socket, '--haproxy-backend', 'nope'],
      state.path,
    );
    expect(r.code, r.stdout).toBe(3);
    expect(r.stdout).toMatch(/FAIL\s+preflight\s+cannot read the director/);
  });

  it('a drain that also shuts the sessions down (a broken runbook) fails old-connections-survive', async () => {
    // A tiny runtime-API client for the command driver: node, the socket, one command per run.
    const hactl = join(state.path, 'hactl.mjs');
    await writeFile(
      hactl,
      "import { connect } from 'node:net';\nconst s = connect(process.argv[2]); s.on('connect', () => s.end(process.argv[3] + '\\n')); s.pipe(process.stdout);\n",
    );
    const run = (command: string) => `${process.execPath} ${hactl} ${socket} '${command}'`;
    const r = await runVerify(
      [
        ...clusterFlags(),
        '--driver',
        'command',
        '--drain-cmd',
        `${run('set weight be/rs1 0')} && ${run('shutdown sessions server be/rs1')}`,
        '--restore-cmd',
        run('set weight be/rs1 {weight}'),
        '--restore-weight',
        '1',
        '--hold',
        '600ms',
        '--interval',
        '100ms',
        '--json',
      ],
      state.path,
    );
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as {
      checks: Array<{ id: string; status: string; failures: Array<{ class: string; server: string }> }>;
    };
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.id)).toEqual(['old-connections-survive']);
    expect(failed[0]!.failures.length).toBeGreaterThan(0);
    expect(failed[0]!.failures.every((f) => f.server === 'rs1' && (f.class === 'closed' || f.class === 'reset'))).toBe(
      true,
    );
    expect(
      await createHaproxyDriver({ socket, backend: 'be' }).getWeight(
        { vip: { host: '127.0.0.1', port: vipPort } },
        { host: '127.0.0.2', port: servers[0]!.port },
      ),
    ).toBe(1);
  });
});
