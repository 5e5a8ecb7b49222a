import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStillOurs, recordProcess } from '@lvs-drain-kit/common';
import { afterAll, describe, expect, it } from 'vitest';
import { labDown, labStatus, labUp } from '../src/lab.js';
import type { LabInfo } from '../src/lab-info.js';
import { restartRealServer, startLabRealServer, stopLabRealServer } from '../src/real-server-control.js';
import { type LabState, readState } from '../src/state.js';
import { ask } from './ask-server.js';

/** Stopping, starting and restarting a real server of a lab: the builtin lab, no root, loopback only. */
/** State dirs made by the tests; each lab in them is taken down afterwards, also when a test fails. */
const dirs: string[] = [];
async function stateDirFor(what: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `ldk-real-control-${what}-`));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) {
    await labDown({ stateDir: dir });
    await rm(dir, { recursive: true, force: true });
  }
});

const processes = async (stateDir: string) => (await readState(stateDir))?.processes ?? [];

describe('real server control on the builtin lab', () => {
  it('restart (SIGTERM, then --kill), stop and start: same address and port, new process, old log kept', async () => {
    const stateDir = await stateDirFor('lab');
    const info = await labUp({ engine: 'builtin', stateDir });
    const rs1 = info.reals.find((r) => r.name === 'rs1')!;
    const pidOf = async () => (await processes(stateDir)).find((p) => p.role === 'rs1')!;

    const first = await pidOf();
    const r = await restartRealServer({ stateDir }, 'rs1');
    expect(r.oldPid).toBe(first.pid);
    expect(r.newPid).not.toBe(first.pid);
    expect(r.downMs).toBeGreaterThanOrEqual(0);
    expect(await isStillOurs(first)).toBe(false);
    expect((await pidOf()).pid).toBe(r.newPid);
    expect(await ask(rs1)).toBe('rs1');
    // The old server's log (its shutdown) is kept; `lab down` removes it with the lab.
    expect(existsSync(join(stateDir, 'rs1.log.1'))).toBe(true);
    expect((await readState(stateDir))?.files).toContain('rs1.log.1');

    const killed = await restartRealServer({ stateDir }, 'rs1', { kill: true });
    expect(killed.oldPid).toBe(r.newPid);
    expect(await ask(rs1)).toBe('rs1');

    const stopped = await stopLabRealServer(stateDir, 'rs1');
    expect(stopped).toBe(killed.newPid);
    expect((await processes(stateDir)).some((p) => p.role === 'rs1')).toBe(false);
    await expect(ask(rs1)).rejects.toThrow(/ECONNREFUSED/);
    await expect(stopLabRealServer(stateDir, 'rs1')).rejects.toThrow('the lab has no running real server rs1');
    const started = await startLabRealServer(stateDir, 'rs1');
    expect(await ask(rs1)).toBe('rs1');
    await expect(startLabRealServer(stateDir, 'rs1')).rejects.toThrow('real server rs1 is running');

    await expect(restartRealServer({ stateDir }, 'rs9')).rejects.toMatchObject({
      code: 'LAB_NO_REAL',
      message: 'the lab has no real server rs9 (rs1, rs2)',
    });
    expect((await labStatus({ stateDir })).up).toBe(true);
    const down = await labDown({ stateDir });
    expect(down.stoppedProcesses).toContain(`rs1 (pid ${started})`);
  });
});

describe('stopLabRealServer', () => {
  it('SIGKILLs a server that ignores SIGTERM once its grace time is over', async () => {
    const stateDir = await stateDirFor('stubborn');
    const marker = 'ldk-stubborn-real';
    const child = spawn(
      process.execPath,
      ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);", marker],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    // The SIGTERM handler is installed before "ready" is written.
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const record = await recordProcess(child.pid!, [marker]);
    const info = { engine: 'builtin', id: 't', reals: [{ name: 'rs1', host: '127.0.0.2', port: 1 }] };
    const state = {
      version: 1,
      id: 't',
      engine: 'builtin',
      createdAt: new Date().toISOString(),
      namespaces: [],
      processes: [{ role: 'rs1', ...record }],
      files: [],
      info: info as unknown as LabInfo,
    } satisfies LabState;
    await writeFile(join(stateDir, 'state.json'), JSON.stringify(state));
    try {
      const t0 = performance.now();
      expect(await stopLabRealServer(stateDir, 'rs1', { graceMs: 300 })).toBe(child.pid);
      // It outlived SIGTERM for the whole grace time, then SIGKILL ended it.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
      expect(await exited).toBe('SIGKILL');
      expect(await processes(stateDir)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
