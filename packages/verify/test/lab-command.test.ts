import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `lvs-verify lab …` on the builtin engine, through the real binary, as a new user types it. */
const BIN = fileURLToPath(new URL('../bin/lvs-verify.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

let home: string;
const env = () => ({ XDG_STATE_HOME: home, LVS_DRAIN_KIT_LAB_STATE: join(home, 'labs'), NO_COLOR: '1', SUDO_USER: '' });
const verify = (args: string[]) =>
  execa(process.execPath, [BIN, ...args], { reject: false, timeout: 30_000, env: env(), cwd: REPO });

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'ldk-lab-command-'));
});
afterAll(async () => {
  await verify(['lab', 'down']);
  await rm(home, { recursive: true, force: true });
});

/** VIP and real server addresses from the first line `lab up` prints. */
function addresses(upOutput: string): string[] {
  const m = /^builtin lab \w+ up: VIP (\S+), rs1 (\S+), rs2 (\S+)$/m.exec(upOutput);
  if (!m) throw new Error(`no addresses in:\n${upOutput}`);
  return m.slice(1);
}

describe('lvs-verify lab (builtin)', () => {
  it('up, down, up, status: the second lab shows and forwards to its own addresses; status exits 0', async () => {
    const first = await verify(['lab', 'up']);
    expect(first.exitCode, first.stderr).toBe(0);
    const down = await verify(['lab', 'down']);
    expect(down.stdout).toMatch(/^builtin lab down: stopped director \(pid \d+\), rs2 \(pid \d+\), rs1 \(pid \d+\)$/m);
    const second = await verify(['lab', 'up']);
    expect(second.exitCode, second.stderr).toBe(0);
    const [vip, rs1, rs2] = addresses(second.stdout);
    const status = await verify(['lab', 'status']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^builtin lab \w+: up since /m);
    expect(status.stdout).toMatch(new RegExp(`\\| TCP  ${vip} wrr`));
    expect(status.stdout).toMatch(new RegExp(`\\|   -> ${rs1}\\s+Route\\s+1`));
    expect(status.stdout).toMatch(new RegExp(`\\|   -> ${rs2}\\s+Route\\s+1`));
  });

  it('lab exec --director runs ipvsadm on the director; lab ipvsadm is the same; lab exec runs here', async () => {
    const [vip, rs1] = addresses((await verify(['lab', 'status'])).stdout.replace(/^ {2}/gm, ''));
    const director = await verify(['lab', 'exec', '--director', '--', 'ipvsadm', '-L', '-n']);
    expect(director.exitCode, director.stderr).toBe(0);
    expect(director.stdout).toContain(`TCP  ${vip} wrr`);
    const edit = await verify(['lab', 'ipvsadm', '--', '-e', '-t', vip!, '-r', rs1!, '-w', '3']);
    expect(edit.exitCode, edit.stderr).toBe(0);
    expect((await verify(['lab', 'ipvsadm', '--', '-Ln'])).stdout).toMatch(new RegExp(`-> ${rs1}\\s+Route\\s+3`));
    const refused = await verify(['lab', 'exec', '--director', '--', 'sysctl', 'net.ipv4.vs.conn_reuse_mode']);
    expect(refused.exitCode).toBe(127);
    expect(refused.stderr).toMatch(/sysctl: not available on the builtin lab director/);
    // No client namespace: the command runs on this host, its exit code passed on.
    expect((await verify(['lab', 'exec', '--', process.execPath, '-e', 'process.exit(7)'])).exitCode).toBe(7);
    await verify(['lab', 'ipvsadm', '--', '-e', '-t', vip!, '-r', rs1!, '-w', '1']);
  });

  it('the try: lines of lab up run as printed, from the repository', { timeout: 90_000 }, async () => {
    const up = await verify(['lab', 'up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const tries = up.stdout
      .split('\n')
      .filter((l) => l.startsWith('try: '))
      .map((l) => l.slice(5));
    expect(tries).toHaveLength(2);
    expect(tries[0]).toMatch(/^npx lvs-verify drain-test --vip /);
    const drainTest = await execa('sh', ['-c', tries[0]!], { reject: false, timeout: 60_000, env: env(), cwd: REPO });
    expect(drainTest.exitCode, drainTest.stdout + drainTest.stderr).toBe(0);
    expect(drainTest.stdout).toMatch(/verdict\s+PASS/);
    const director = await execa('sh', ['-c', tries[1]!], { reject: false, timeout: 30_000, env: env(), cwd: REPO });
    expect(director.exitCode, director.stderr).toBe(0);
    expect(director.stdout).toMatch(/^TCP {2}127\.0\.0\.1:\d+ wrr$/m);
  });

  it('exec on a lab that is not up: one line, exit 3', async () => {
    await verify(['lab', 'down']);
    const r = await verify(['lab', 'exec', '--director', '--', 'ipvsadm', '-L', '-n']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no lab is up in .*lab-builtin \(lvs-verify lab up --engine builtin\)/);
  });
});
