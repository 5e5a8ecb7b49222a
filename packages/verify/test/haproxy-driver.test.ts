import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { haproxyCommand, parseApiAddress, UnsupportedSetupError } from '@lvs-drain-kit/drivers';
import {
  haproxyDriverFlags,
  runVerify,
  runVerifyJson,
  type SpawnedServer,
  spawnRsServer,
  tempDir,
} from '@lvs-drain-kit/testkit';
import { createHaproxyDriver, type MaintainReport } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
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
      // Two servers on one address (a canary beside the regular entry, say), never sent traffic here.
      'backend shared',
      '  balance roundrobin',
      `  server rs1 127.0.0.2:${servers[0]!.port} weight 1`,
      `  server rs1-canary 127.0.0.2:${servers[0]!.port} weight 2`,
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
  const cluster = () => [
    '--vip',
    `127.0.0.1:${vipPort}`,
    '--real',
    `127.0.0.2:${servers[0]!.port}`,
    '--real',
    `127.0.0.3:${servers[1]!.port}`,
  ];
  const clusterFlags = () => ['drain-test', ...cluster(), '--drain', `127.0.0.2:${servers[0]!.port}`];

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
      `answer=$(echo 'set weight be/rs1 1; get weight be/rs1' | socat stdio unix-connect:${socket}); echo "$answer"; echo "$answer" | grep -Eqx '1 \\(initial [0-9]+\\)'`,
    );
  });

  it('the command a person is given fails when HAProxy refuses it (HAProxy answers, socat exits 0)', async () => {
    const driver = createHaproxyDriver({ socket, backend: 'be' });
    const service = { vip: { host: '127.0.0.1', port: vipPort } };
    const rs1 = { host: '127.0.0.2', port: servers[0]!.port };
    await driver.getWeight(service, rs1);
    const sh = (command: string) => execa('/bin/sh', ['-c', command], { reject: false });
    const set = await sh(driver.manualCommand(service, rs1, 3));
    expect(set.exitCode, set.stderr).toBe(0);
    expect(await driver.getWeight(service, rs1)).toBe(3);
    const wrongBackend = createHaproxyDriver({ socket, backend: 'nope', server: 'rs1' });
    const refused = await sh(wrongBackend.manualCommand(service, rs1, 1));
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain('No such backend.');
    const noServer = await sh(
      createHaproxyDriver({ socket, backend: 'be', server: 'rs9' }).manualCommand(service, rs1, 1),
    );
    expect([noServer.exitCode, noServer.stdout]).toEqual([1, 'No such server.\n\nNo such server.']);
    await driver.setWeight(service, rs1, 1);
  });

  it('two servers at one address: refused without --haproxy-server (listing them), the named one wins', async () => {
    const service = { vip: { host: '127.0.0.1', port: vipPort } };
    const rs1 = { host: '127.0.0.2', port: servers[0]!.port };
    const api = (command: string) => haproxyCommand(parseApiAddress(socket), command);
    await expect(createHaproxyDriver({ socket, backend: 'shared' }).getWeight(service, rs1)).rejects.toThrow(
      new UnsupportedSetupError(
        `HAProxy backend shared has 2 servers at 127.0.0.2:${rs1.port}: rs1, rs1-canary; name the one to drain with --haproxy-server (nothing was changed)`,
      ),
    );
    const canary = createHaproxyDriver({ socket, backend: 'shared', server: 'rs1-canary' });
    expect(await canary.getWeight(service, rs1)).toBe(2);
    await canary.setWeight(service, rs1, 0);
    expect([await api('get weight shared/rs1'), await api('get weight shared/rs1-canary')]).toEqual([
      '1 (initial 1)\n\n',
      '0 (initial 2)\n\n',
    ]);
    await canary.setWeight(service, rs1, 2);
    // A name at another address than the drained server is refused: a typo must not drain rs2.
    await expect(
      createHaproxyDriver({ socket, backend: 'shared', server: 'rs2' }).getWeight(service, rs1),
    ).rejects.toThrow(`server rs2 is at 127.0.0.3:${servers[1]!.port}, not 127.0.0.2:${rs1.port}`);
    await expect(
      createHaproxyDriver({ socket, backend: 'shared', server: 'rs3' }).setWeight(service, rs1, 0),
    ).rejects.toThrow(/has no server "rs3" \(it has rs1 \(127\.0\.0\.2:\d+\), rs1-canary/);
    expect(await api('get weight shared/rs2')).toBe('1 (initial 1)\n\n');
  });

  it('drain-test passes through HAProxy: old connections survive set weight 0, new ones avoid rs1', async () => {
    const { code, stdout, stderr, report } = await runVerifyJson(
      [...clusterFlags(), ...haproxyDriverFlags(socket, 'be'), '--hold', '1s', '--interval', '100ms'],
      state.path,
    );
    expect(code, stdout + stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    const rs1 = report.servers.find((s) => s.name === 'rs1')!;
    expect(rs1.weightDuringDrain).toBe(0);
    expect(rs1.connectionsAfter).toBeGreaterThan(0);
  });

  it("maintain through HAProxy: show stat's sessions are what the wait reads; no request fails", async () => {
    const { code, stderr, report } = await runVerifyJson<MaintainReport>(
      [
        'maintain',
        ...cluster(),
        ...haproxyDriverFlags(socket, 'be'),
        '--rate',
        '40',
        '--long-lived',
        '4',
        '--interval',
        '50ms',
        '--poll',
        '100ms',
        '--exec',
        'echo working on {name}',
      ],
      state.path,
    );
    expect(code, stderr).toBe(0);
    expect(report.servers.map((s) => [s.name, s.status, s.exec?.output])).toEqual([
      ['rs1', 'done', 'working on rs1\n'],
      ['rs2', 'done', 'working on rs2\n'],
    ]);
    // The sampler's long-lived sessions were on the drained server, counted by HAProxy, then closed.
    const waits = report.servers.map((s) => s.waitEmpty!);
    expect(waits.some((w) => w.first!.own > 0 && w.first!.active >= w.first!.own)).toBe(true);
    expect(waits.every((w) => w.last!.active === 0 && w.last!.inactive === 0)).toBe(true);
    expect(report.sampler.requests.failed).toBe(0);
    const driver = createHaproxyDriver({ socket, backend: 'be' });
    const service = { vip: { host: '127.0.0.1', port: vipPort } };
    expect((await driver.inspect(service)).servers.map((s) => s.weight)).toEqual([1, 1]);
  });

  it('an unknown backend is an environment error (exit 3)', async () => {
    const r = await runVerify([...clusterFlags(), ...haproxyDriverFlags(socket, 'nope')], state.path);
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
    const { code, stderr, report } = await runVerifyJson(
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
      ],
      state.path,
    );
    expect(code, stderr).toBe(1);
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
