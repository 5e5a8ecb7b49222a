import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isStillOurs } from '@lvs-drain-kit/common';
import { type LabState, labDown } from '@lvs-drain-kit/lab';
import { LVS_VERIFY_BIN } from '@lvs-drain-kit/testkit';
import type { DrainReport } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The lab commands of the real lvs-verify binary: one-command drain tests, up/status/exec/down, crashes. */
let base: string;
const env = () => ({ LVS_DRAIN_KIT_LAB_STATE: base, NO_COLOR: '1', XDG_STATE_HOME: base });
const verify = (args: string[], extra: Record<string, unknown> = {}) =>
  execa(process.execPath, [LVS_VERIFY_BIN, ...args], { reject: false, timeout: 120_000, env: env(), ...extra });

async function namespaces(): Promise<string[]> {
  return (await execa('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith('ldk-'));
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
    expect(r.exitCode, r.stderr).toBe(0);
    // --html reaches the run inside the client namespace, which writes the page.
    expect(await readFile(html, 'utf8')).toContain('<div class="word" id="verdict">PASS</div>');
    expect(report.timeline?.old.server.length).toBeGreaterThanOrEqual(8);
    expect(report.verdict).toBe('pass');
    expect(report.driver.name).toBe('nft');
    expect(report.vip).toBe('198.18.0.2:2100');
    expect(r.stderr).toMatch(/lab: ready in [\d.]+ s/);
    // Only this run's namespaces count: another lab on the machine may come and go meanwhile.
    const id = /running drain-test in ldk-([0-9a-f]+)-client/.exec(r.stderr)?.[1];
    expect(id, r.stderr).toBeDefined();
    expect((await namespaces()).filter((n) => n.startsWith(`ldk-${id}-`) && !before.includes(n))).toEqual([]);
    expect(existsSync(join(base, 'lab-nft-drain-test', 'state.json'))).toBe(false);
  });

  it('drain-test --lab nft: SIGINT during the hold restores the weight, then the lab goes down (exit 130)', async () => {
    const before = await namespaces();
    const child = spawn(process.execPath, [LVS_VERIFY_BIN, 'drain-test', '--lab', 'nft', '--hold', '30s'], {
      env: { ...process.env, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no hold phase: ${stderr}`)), 60_000);
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('holding')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stdout).toMatch(/PASS\s+restore\s+weight 1 put back/);
    expect(stderr).toMatch(/lab: down \(5 namespaces removed\)/);
    const id = /running drain-test in ldk-([0-9a-f]+)-client/.exec(stderr)?.[1];
    expect(id, stderr).toBeDefined();
    expect((await namespaces()).filter((n) => n.startsWith(`ldk-${id}-`) && !before.includes(n))).toEqual([]);
  });

  it('lab up, status, exec and down (haproxy)', async () => {
    const up = await verify(['lab', 'up', '--engine', 'haproxy']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toMatch(
      /haproxy lab \w+ up: VIP 198\.18\.0\.2:2100, rs1 198\.18\.0\.11:2100, rs2 198\.18\.0\.12:2100/,
    );
    const status = await verify(['lab', 'status', '--engine', 'haproxy']);
    expect(status.stdout).toMatch(/: up since/);
    expect(status.stdout).toMatch(/haproxy: pid \d+ running/);
    expect(status.stdout).toMatch(/\| 3 lab 1 rs1 198\.18\.0\.11 2 0 1 1/);
    const exec = await verify(['lab', 'exec', '--engine', 'haproxy', '--', 'ip', '-br', '-4', 'addr', 'show', 'eth0']);
    expect(exec.exitCode).toBe(0);
    expect(exec.stdout).toContain('198.18.0.10/24');
    // A one-command drain test brings up a lab of its own and leaves this one alone.
    const oneShot = await verify(['drain-test', '--lab', 'haproxy', '--hold', '500ms']);
    expect(oneShot.exitCode, oneShot.stderr).toBe(0);
    expect((await verify(['lab', 'status', '--engine', 'haproxy'])).stdout).toMatch(/: up since/);
    const down = await verify(['lab', 'down', '--engine', 'haproxy']);
    expect(down.stdout).toMatch(/haproxy lab down: stopped .*haproxy \(pid \d+\)/);
    expect((await verify(['lab', 'status', '--engine', 'haproxy'])).stdout).toContain('haproxy lab: down');
  });

  it('lab down cleans up after `lab up` was killed half-way (ipvs: VM, real servers, namespaces)', async () => {
    const child: ChildProcess = spawn(process.execPath, [LVS_VERIFY_BIN, 'lab', 'up', '--engine', 'ipvs'], {
      env: { ...process.env, ...env() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no progress: ${stderr}`)), 60_000);
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('real servers up')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const state = JSON.parse(await readFile(join(base, 'lab-ipvs', 'state.json'), 'utf8')) as LabState;
    expect(state.processes.length).toBeGreaterThanOrEqual(2);
    const left = await namespaces();
    expect(left.filter((n) => n.startsWith(`ldk-${state.id}-`)).length).toBe(4);

    const down = await verify(['lab', 'down', '--engine', 'ipvs']);
    expect(down.exitCode, down.stderr).toBe(0);
    for (const p of state.processes) expect(await isStillOurs(p), p.role).toBe(false);
    expect((await namespaces()).filter((n) => n.startsWith(`ldk-${state.id}-`))).toEqual([]);
  });

  it('without root: one line pointing to the builtin lab, exit 3', async () => {
    const r = await verify(['lab', 'up', '--engine', 'nft'], {
      uid: 65534,
      gid: 65534,
      env: { ...env(), HOME: '/tmp' },
    });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/needs root.*--engine builtin/);
  });
});
