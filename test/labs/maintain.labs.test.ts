import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatHostPort } from '@lvs-drain-kit/common';
import { createDriver, createSerialTransport, flagsFromSpec } from '@lvs-drain-kit/drivers';
import { labExecArgv } from '@lvs-drain-kit/lab';
import { LVS_VERIFY_BIN } from '@lvs-drain-kit/testkit';
import type { MaintainReport } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HoldJob } from './support/hold-clients.js';
import { startTestLab, type TestLab } from './support/lab-fixture.js';

/**
 * `lvs-verify maintain` against real directors — IPVS (Direct Routing, in the qemu VM) and nftables —
 * with `--exec` restarting the real rs-server processes in their namespaces for real, while the
 * sampler's traffic goes through the VIP from the client namespace, and other clients hold
 * connections the wait must outlast.
 */
const HOLD_CLIENTS = fileURLToPath(new URL('./support/hold-clients.ts', import.meta.url));

/**
 * Thousands of requests over a run. The IPVS VM runs under software emulation on one CPU: a lower
 * rate, longer work, so the director is not what fails requests.
 */
const SAMPLER = {
  nft: { flags: ['--rate', '150', '--long-lived', '16', '--interval', '100ms'], work: 'sleep 2' },
  ipvs: { flags: ['--rate', '50', '--long-lived', '8', '--interval', '200ms'], work: 'sleep 8' },
} as const;

describe.each(['nft', 'ipvs'] as const)('maintain on the %s lab', (engine) => {
  let lab: TestLab;
  const holders: ChildProcess[] = [];
  /** Runs a shell line on the IPVS director VM. */
  let vm: (script: string) => Promise<string>;

  beforeAll(async () => {
    lab = await startTestLab(engine);
    if (lab.info.driver.kind === 'ipvsadm') {
      const director = createSerialTransport(lab.info.driver.director.slice('serial:'.length));
      vm = async (script) => {
        const r = await director.run(['sh', '-c', script]);
        if (r.exitCode !== 0) throw new Error(`${script}: ${r.stderr}`);
        return r.stdout;
      };
      // What the lab README advises for a DR director: with the default 1, a client port reused within
      // the FIN timeout follows its old entry to the drained server (a test below shows the sampler see it).
      await vm('echo 3 > /proc/sys/net/ipv4/vs/conn_reuse_mode');
    }
  });
  afterAll(async () => {
    await lab?.down();
  });
  afterEach(async () => {
    for (const h of holders.splice(0)) {
      if (h.exitCode !== null || h.signalCode !== null) continue;
      h.kill('SIGKILL');
      await once(h, 'exit');
    }
    // Every real server at weight 1 again, whatever a test did.
    const driver = await createDriver(lab.info.driver);
    for (const r of lab.info.reals) {
      const service = { vip: lab.info.vip };
      if ((await driver.getWeight(service, r)) !== 1) await driver.setWeight(service, r, 1);
    }
  });

  const cluster = () => [
    '--vip',
    formatHostPort(lab.info.vip),
    ...lab.info.reals.flatMap((r) => ['--real', `${formatHostPort(r)}=${r.name}`]),
    ...flagsFromSpec(lab.info.driver),
  ];
  const restart = (extra = '') =>
    `${process.execPath} ${LVS_VERIFY_BIN} lab restart-real --engine ${engine} --state-dir ${lab.info.stateDir}${extra} {name}`;

  /** The real binary in the client namespace; `onLine` sees its progress lines as they come. */
  async function maintain(args: string[], onLine: (line: string) => void = () => {}) {
    const argv = labExecArgv(lab.info, [
      process.execPath,
      LVS_VERIFY_BIN,
      'maintain',
      ...cluster(),
      ...SAMPLER[engine].flags,
      '--max-age',
      '3s',
      '--poll',
      '250ms',
      '--json',
      ...args,
    ]);
    const child = execa(argv[0]!, argv.slice(1), {
      reject: false,
      timeout: 170_000,
      env: { XDG_STATE_HOME: lab.scratch, NO_COLOR: '1' },
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      onLine(line);
    });
    const r = await child;
    let report: MaintainReport;
    try {
      report = JSON.parse(String(r.stdout)) as MaintainReport;
    } catch {
      throw new Error(`no JSON report (exit ${r.exitCode}): ${r.stdout}\n${stderr.join('\n')}`);
    }
    const why = `${stderr.slice(-40).join('\n')}\n${JSON.stringify(report.sampler.failures.first.slice(0, 5))}`;
    return { code: r.exitCode, report, why };
  }

  /** Other clients holding `count` connections on `server`, from the client namespace, until SIGTERM. */
  async function holdClients(server: string, count: number): Promise<{ held: number; child: ChildProcess }> {
    const job: HoldJob = { vip: lab.info.vip, server, count };
    const argv = labExecArgv(lab.info, [process.execPath, '--import', 'tsx', HOLD_CLIENTS, JSON.stringify(job)]);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    holders.push(child);
    const [line] = (await once(child.stdout!.setEncoding('utf8'), 'data')) as [string];
    const held = Number(/ready (\d+)/.exec(line)?.[1]);
    if (!(held > 0)) throw new Error(`no client held a connection on ${server}: ${line}`);
    return { held, child };
  }

  it('maintains both servers, restarting each for real; thousands of requests, none failed', async () => {
    // Other clients on rs1 leave 2 s after its drain started: the wait lasts until they have gone.
    const clients = await holdClients('rs1', 3);
    const { code, report, why } = await maintain(['--exec', `${SAMPLER[engine].work} && ${restart()}`], (line) => {
      if (/ rs1 +wait-empty /.test(line)) setTimeout(() => clients.child.kill('SIGTERM'), 2000);
    });
    expect(code, why).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(report.servers.map((s) => [s.name, s.status])).toEqual([
      ['rs1', 'done'],
      ['rs2', 'done'],
    ]);
    const [rs1, rs2] = report.servers;
    expect(rs1!.waitEmpty!.first!.active - rs1!.waitEmpty!.first!.own).toBeGreaterThanOrEqual(clients.held);
    expect(rs1!.timeline.emptyAfterMs).toBeGreaterThanOrEqual(2000);
    for (const s of [rs1!, rs2!]) {
      expect(s.exec?.output).toMatch(new RegExp(`${s.name} restarted: pid \\d+ → \\d+`));
      expect(Object.fromEntries(s.steps.map((k) => [k.id, k.status]))).toEqual({
        capacity: 'pass',
        drain: 'pass',
        'wait-empty': 'pass',
        exec: 'pass',
        healthy: 'pass',
        restore: 'pass',
        'new-connections-return': 'pass',
      });
    }
    expect(report.sampler.requests.failed, why).toBe(0);
    expect(report.sampler.requests.sent).toBeGreaterThan(2000);
    console.log(
      `${engine}: ${report.sampler.requests.sent} requests (${report.sampler.connections.short} short connections, ${report.sampler.connections.long} long-lived), ${report.sampler.requests.failed} failed, ${report.durationMs} ms; ` +
        report.servers.map((s) => `${s.name} ${JSON.stringify(s.timeline)}`).join('; '),
    );
  });

  it('a client that never leaves: --drain-timeout is hit, the server goes back without the work (exit 1)', async () => {
    await holdClients('rs1', 1);
    const { code, report, why } = await maintain(['--drain-timeout', '2s', '--exec', restart()]);
    expect(code, why).toBe(1);
    const rs1 = report.servers[0]!;
    expect(rs1.waitEmpty).toMatchObject({ timedOut: true });
    expect(rs1.waitEmpty!.last!.remaining).toBeGreaterThanOrEqual(1);
    expect(rs1.exec).toBeUndefined();
    expect(rs1.restore).toMatchObject({ attempted: true, restored: true });
    expect(report.servers[1]!.status).toBe('pending');
    expect(report.sampler.requests.failed, why).toBe(0);
    const driver = await createDriver(lab.info.driver);
    expect(await driver.getWeight({ vip: lab.info.vip }, lab.info.reals[0]!)).toBe(1);
  });

  it('--on-timeout continue and work that kills the server under its clients: the sampler records it, FAIL', async () => {
    await holdClients('rs1', 1);
    // The sampler's long-lived connections outlive the drain timeout: they are on rs1 when it dies.
    const { code, report, why } = await maintain([
      '--only',
      'rs1',
      '--max-age',
      '60s',
      '--drain-timeout',
      '1s',
      '--on-timeout',
      'continue',
      '--exec',
      restart(' --kill'),
    ]);
    expect(code, why).toBe(1);
    expect(report.verdict).toBe('fail');
    const rs1 = report.servers[0]!;
    expect(Object.fromEntries(rs1.steps.map((k) => [k.id, k.status]))).toMatchObject({
      'wait-empty': 'warn',
      exec: 'pass',
      healthy: 'pass',
      restore: 'pass',
    });
    const onRs1 = report.sampler.failures.first.filter((f) => f.server === 'rs1');
    expect(onRs1.length, why).toBeGreaterThan(0);
    expect(onRs1.every((f) => f.class === 'closed' || f.class === 'reset')).toBe(true);
    console.log(
      `${engine} kill: ${report.sampler.requests.failed} of ${report.sampler.requests.sent} failed ${JSON.stringify(report.sampler.failures.byClass)}`,
    );
  });

  it('--min-serving 2 with two real servers: refused before anything changes (exit 3)', async () => {
    const driver = await createDriver(lab.info.driver);
    const before = await driver.inspect({ vip: lab.info.vip });
    const { code, report } = await maintain(['--min-serving', '2', '--exec', restart()]);
    expect(code).toBe(3);
    expect(report.error?.type).toBe('CapacityError');
    expect(report.sampler.requests.sent).toBe(0);
    const after = await driver.inspect({ vip: lab.info.vip });
    expect(after.servers.map((s) => s.weight)).toEqual(before.servers.map((s) => s.weight));
  });

  // Only a DR director keeps the entries that send a reused port back to its old server.
  if (engine === 'ipvs') {
    it('IPVS DR with conn_reuse_mode=1: reused client ports reach the drained server; the sampler says so', async () => {
      const client = (args: string[]) => execa('ip', ['netns', 'exec', lab.info.clientNetns!, ...args]);
      const range = 'net.ipv4.ip_local_port_range';
      const saved = (await client(['sysctl', '-n', range])).stdout.trim().split(/\s+/).join(' ');
      await vm('echo 1 > /proc/sys/net/ipv4/vs/conn_reuse_mode');
      // 64 client ports: the kernel hands each out again within seconds, well inside the FIN timeout.
      await client(['sysctl', '-w', `${range}=40000 40063`]);
      try {
        // Leaked connections can keep rs1 from ever emptying: the drain timeout bounds the wait (exit 1 either way).
        const { code, report, why } = await maintain(['--only', 'rs1', '--exec', 'sleep 3', '--drain-timeout', '30s']);
        expect(code, why).toBe(1);
        const leaks = report.sampler.failures.first.filter((f) => f.class === 'wrong-host' && f.server === 'rs1');
        expect(leaks.length, why).toBeGreaterThan(0);
        expect(leaks[0]!.detail).toBe('a new connection reached the drained server rs1');
        expect(report.director?.warnings?.join(' ')).toMatch(/conn_reuse_mode=1/);
      } finally {
        await client(['sysctl', '-w', `${range}=${saved}`]);
        await vm('echo 3 > /proc/sys/net/ipv4/vs/conn_reuse_mode');
      }
    });
  }
});
