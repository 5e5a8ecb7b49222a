/** The lab commands of the real lvs-verify binary: one-command drain tests, up/status/exec/down, crashes. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isStillOurs } from '@lvs-drain-kit/common';
import { type LabState, labDown } from '@lvs-drain-kit/lab';
import { type CliOptions, LVS_VERIFY_BIN, startCli } from '@lvs-drain-kit/testkit';
import type { DrainReport } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let base: string;
const env = () => ({ LVS_DRAIN_KIT_LAB_STATE: base, XDG_STATE_HOME: base });
const start = (args: string[], options: CliOptions = {}) =>
  startCli(LVS_VERIFY_BIN, args, { env: env(), timeoutMs: 180_000, ...options });
const verify = (args: string[]) => start(args).done;

async function namespaces(): Promise<string[]> {
  return (await execa('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith('ldk-'));
}

/** The namespaces of the lab a one-command drain test ran in, left behind (none, when it cleaned up). */
async function leftBehind(stderr: string, before: string[]): Promise<string[]> {
  const id = /running drain-test in ldk-([0-9a-f]+)-client/.exec(stderr)?.[1];
  expect(id, stderr).toBeDefined();
  // Only this run's namespaces count: another lab on the machine may come and go meanwhile.
  return (await namespaces()).filter((n) => n.startsWith(`ldk-${id}-`) && !before.includes(n));
}

beforeAll(async () => {
  base = await mkdtemp('/tmp/ldk-cli-labs-');
});

afterAll(async () => {
  for (const engine of ['ipvs', 'nft', 'haproxy'] as const) {
    await labDown({ stateDir: join(base, `lab-${engine}`) });
    await labDown({ stateDir: join(base, `lab-${engine}-drain-test`) });
  }
  await rm(base, { recursive: true, force: true });
});

describe('lvs-verify lab commands (real engines)', () => {
  it('drain-test --lab nft: up, test from the client namespace, down — one command, the usual report', async () => {
    const before = await namespaces();
    const html = join(base, 'nft.html');
    const r = await verify(['drain-test', '--lab', 'nft', '--json', '--hold', '1s', '--timeout', '1s', '--html', html]);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(r.code, r.stderr).toBe(0);
    // --html reaches the run inside the client namespace, which writes the page.
    expect(await readFile(html, 'utf8')).toContain('<div class="word" id="verdict">PASS</div>');
    expect(report.timeline?.old.server.length).toBeGreaterThanOrEqual(8);
    expect(report.verdict).toBe('pass');
    expect(report.driver.name).toBe('nft');
    expect(report.vip).toBe('198.18.0.2:2100');
    expect(r.stderr).toMatch(/lab: ready in [\d.]+ s/);
    expect(await leftBehind(r.stderr, before)).toEqual([]);
    expect(existsSync(join(base, 'lab-nft-drain-test', 'state.json'))).toBe(false);
  });

  it('drain-test --lab ipvs: real IPVS in the VM, one command; a default DR director warns about reused source ports', async () => {
    const before = await namespaces();
    const r = await verify(['drain-test', '--lab', 'ipvs', '--json', '--hold', '1s', '--timeout', '1s']);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(r.code, r.stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(report.driver.name).toBe('ipvsadm');
    expect(report.driver.description).toMatch(/via lab director vm \(serial /);
    expect(report.director?.kernel).toMatch(/^6\.\d+.*amd64$/);
    expect(report.director?.sysctls?.['net.ipv4.vs.conn_reuse_mode']).toBe('1');
    expect(report.checks.find((c) => c.id === 'reused-source-port')?.status).toBe('warn');
    expect(await leftBehind(r.stderr, before)).toEqual([]);
    expect(existsSync(join(base, 'lab-ipvs-drain-test', 'state.json'))).toBe(false);
  });

  it('drain-test --lab nft: SIGINT during the hold restores the weight, then the lab goes down (exit 130)', async () => {
    const before = await namespaces();
    const run = start(['drain-test', '--lab', 'nft', '--hold', '30s']);
    await run.waitFor('stderr', 'holding', 60_000);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toMatch(/PASS\s+restore\s+weight 1 put back/);
    expect(r.stderr).toMatch(/lab: down \(5 namespaces removed\)/);
    expect(await leftBehind(r.stderr, before)).toEqual([]);
  });

  it('lab up, status, exec and down (haproxy)', async () => {
    const up = await verify(['lab', 'up', '--engine', 'haproxy']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(
      /haproxy lab \w+ up: VIP 198\.18\.0\.2:2100, rs1 198\.18\.0\.11:2100, rs2 198\.18\.0\.12:2100/,
    );
    const status = await verify(['lab', 'status', '--engine', 'haproxy']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/: up since/);
    expect(status.stdout).toMatch(/haproxy: pid \d+ running/);
    expect(status.stdout).toMatch(/\| 3 lab 1 rs1 198\.18\.0\.11 2 0 1 1/);
    const exec = await verify(['lab', 'exec', '--engine', 'haproxy', '--', 'ip', '-br', '-4', 'addr', 'show', 'eth0']);
    expect(exec.code).toBe(0);
    expect(exec.stdout).toContain('198.18.0.10/24');
    // A one-command drain test brings up a lab of its own and leaves this one alone.
    const oneShot = await verify(['drain-test', '--lab', 'haproxy', '--hold', '1s']);
    expect(oneShot.code, oneShot.stderr).toBe(0);
    expect((await verify(['lab', 'status', '--engine', 'haproxy'])).stdout).toMatch(/: up since/);
    const down = await verify(['lab', 'down', '--engine', 'haproxy']);
    expect(down.stdout).toMatch(/haproxy lab down: stopped .*haproxy \(pid \d+\)/);
    const after = await verify(['lab', 'status', '--engine', 'haproxy']);
    expect([after.code, after.stdout]).toEqual([0, 'haproxy lab: down\n']);
  });

  it('lab down cleans up after `lab up` was killed half-way (ipvs: VM, real servers, namespaces)', async () => {
    const up = start(['lab', 'up', '--engine', 'ipvs']);
    await up.waitFor('stderr', 'real servers up', 60_000);
    up.child.kill('SIGKILL');
    await up.done;
    const state = JSON.parse(await readFile(join(base, 'lab-ipvs', 'state.json'), 'utf8')) as LabState;
    expect(state.processes.length).toBeGreaterThanOrEqual(2);
    const left = await namespaces();
    expect(left.filter((n) => n.startsWith(`ldk-${state.id}-`)).length).toBe(4);

    const down = await verify(['lab', 'down', '--engine', 'ipvs']);
    expect(down.code, down.stderr).toBe(0);
    for (const p of state.processes) expect(await isStillOurs(p), p.role).toBe(false);
    expect((await namespaces()).filter((n) => n.startsWith(`ldk-${state.id}-`))).toEqual([]);
  });

  it('without root: one line pointing to the builtin lab, exit 3', async () => {
    const r = await execa(process.execPath, [LVS_VERIFY_BIN, 'lab', 'up', '--engine', 'nft'], {
      reject: false,
      uid: 65534,
      gid: 65534,
      env: { ...env(), HOME: '/tmp', NO_COLOR: '1' },
    });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/needs root.*--engine builtin/);
  });
});
