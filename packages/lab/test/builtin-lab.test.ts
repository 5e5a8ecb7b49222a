import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStillOurs } from '@lvs-drain-kit/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError } from '../src/errors.js';
import { labDirectorExec, labDown, labExecArgv, labStatus, labUp } from '../src/lab.js';
import type { LabState } from '../src/state.js';
import { ask } from './ask-server.js';

/** The builtin engine through the same life cycle as the real ones: no root, loopback only. */
let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'ldk-builtin-lab-'));
});
afterAll(async () => {
  for (const dir of ['a', 'b', 'owned']) await labDown({ stateDir: join(base, dir) });
  await rm(base, { recursive: true, force: true });
});

const readState = async (stateDir: string) =>
  JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as LabState;

describe('builtin lab (labUp, labStatus, labDirectorExec, labDown)', () => {
  it('up: servers on loopback at picked ports behind the director; status, director commands; down stops all', async () => {
    const stateDir = join(base, 'a');
    const info = await labUp({ engine: 'builtin', stateDir });
    expect(info.engine).toBe('builtin');
    expect(info.clientNetns).toBeUndefined();
    expect(info.vip.host).toBe('127.0.0.1');
    expect(info.reals.map((r) => [r.name, r.host])).toEqual([
      ['rs1', '127.0.0.2'],
      ['rs2', '127.0.0.3'],
    ]);
    for (const p of [info.vip, ...info.reals]) expect(p.port).toBeGreaterThan(0);
    expect(info.driver.kind).toBe('builtin');
    // Clients of the builtin lab run on this host: exec runs the command as it is.
    expect(labExecArgv(info, ['lvs-client', 'x'])).toEqual(['lvs-client', 'x']);
    // wrr with equal weights: two new connections, one to each server.
    expect([await ask(info.vip), await ask(info.vip)].sort()).toEqual(['rs1', 'rs2']);

    const state = await readState(stateDir);
    expect(state.processes.map((p) => p.role).sort()).toEqual(['director', 'rs1', 'rs2']);
    for (const p of state.processes) expect(p.startTime).toBeGreaterThan(0);
    expect(state.namespaces).toEqual([]);

    const status = await labStatus({ stateDir });
    expect(status.up).toBe(true);
    expect(status.director).toContain(`TCP  127.0.0.1:${info.vip.port} wrr`);
    for (const r of info.reals) expect(status.director).toContain(`${r.host}:${r.port}`);

    const exec = await labDirectorExec({ stateDir });
    if (!('run' in exec)) throw new Error('the builtin director is reached through its control port');
    const list = await exec.run(['ipvsadm', '-L', '-n']);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain(`127.0.0.2:${info.reals[0]!.port}`);
    expect((await exec.run(['sysctl', 'x'])).exitCode).toBe(127);

    const down = await labDown({ stateDir });
    expect(down.found).toBe(true);
    expect(down.stoppedProcesses).toHaveLength(3);
    for (const p of state.processes) expect(await isStillOurs(p), p.role).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    expect((await labStatus({ stateDir })).up).toBe(false);
  });

  it('up, down, up: the second lab reads only its own logs and forwards to its own servers', async () => {
    const stateDir = join(base, 'b');
    await labUp({ engine: 'builtin', stateDir });
    await labDown({ stateDir });
    const second = await labUp({ engine: 'builtin', stateDir });
    // The ports come from the running processes, not from a line left by the first lab.
    const status = await labStatus({ stateDir });
    expect(status.up).toBe(true);
    for (const r of second.reals) expect(status.director).toContain(`${r.host}:${r.port}`);
    expect(await ask(second.vip)).toMatch(/^rs[12]$/);
    expect((await readFile(join(stateDir, 'director.log'), 'utf8')).match(/"ready":true/g)).toHaveLength(1);
    // Up again without down: the lab recorded there is replaced, its processes stopped.
    const before = await readState(stateDir);
    const third = await labUp({ engine: 'builtin', stateDir });
    for (const p of before.processes) expect(await isStillOurs(p), p.role).toBe(false);
    expect(await ask(third.vip)).toMatch(/^rs[12]$/);
    await labDown({ stateDir });
  });

  it('ownedBy: the lab stops itself when its owner dies', async () => {
    const stateDir = join(base, 'owned');
    const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await labUp({ engine: 'builtin', stateDir, ownedBy: owner.pid! });
    } catch (err) {
      owner.kill('SIGKILL');
      throw err;
    }
    const { processes } = await readState(stateDir);
    owner.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    const alive = async () => (await Promise.all(processes.map(isStillOurs))).filter(Boolean).length;
    while ((await alive()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await alive()).toBe(0);
    expect((await labDown({ stateDir })).stoppedProcesses).toEqual([]);
  });

  it('refuses an option the engine does not have, before anything is made', async () => {
    await expect(labUp({ engine: 'nft', stateDir: join(base, 'never'), misbehave: ['reset-old'] })).rejects.toThrow(
      LabError,
    );
    expect(existsSync(join(base, 'never'))).toBe(false);
  });
});
