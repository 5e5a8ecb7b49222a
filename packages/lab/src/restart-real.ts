/**
 * Restarts one real server of a running lab the way a maintenance does: its rs-server is stopped
 * (SIGTERM, which lets it finish its connections, or SIGKILL — a crash), a new one starts in the same
 * place on the same address, and the lab's state records the new process so `lab down` stops it.
 * The hook `lvs-verify maintain --exec` calls in the labs.
 */
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStillOurs, stopRecordedProcess } from '@lvs-drain-kit/common';
import { LabError } from './errors.js';
import { defaultStateDir, type LabRef, readLabInfo } from './lab.js';
import { planLab } from './plan.js';
import { realServerLog, startRealServer, waitRealServerReady } from './real-servers.js';
import { readState, writeState } from './state.js';

export interface RestartRealOptions {
  /** SIGKILL at once instead of SIGTERM: connections are cut, as in a crash. */
  kill?: boolean;
  /** How long a SIGTERM-ed server may take to finish its connections before SIGKILL. Default 30 s. */
  graceMs?: number;
}

export interface RestartRealResult {
  oldPid: number;
  newPid: number;
  /** From the signal until the new server was ready. */
  downMs: number;
}

export async function restartRealServer(
  ref: LabRef,
  name: string,
  options: RestartRealOptions = {},
): Promise<RestartRealResult> {
  const info = await readLabInfo(ref);
  const stateDir = ref.stateDir ?? defaultStateDir(info.engine);
  const state = await readState(stateDir);
  const index = state?.processes.findIndex((p) => p.role === name) ?? -1;
  const planned = planLab(info.engine, info.id).reals.find((r) => r.name === name);
  const listed = info.reals.find((r) => r.name === name);
  if (!state || !planned || !listed || index < 0) {
    throw new LabError(
      `the lab has no real server ${name} (${info.reals.map((r) => r.name).join(', ')})`,
      'LAB_NO_REAL',
    );
  }
  // Where the kernel picked the port (the builtin lab), the new server takes the same one.
  const real = { ...planned, port: listed.port };
  const old = state.processes[index]!;
  const started = performance.now();
  if (options.kill) {
    if (await isStillOurs(old)) process.kill(old.pid, 'SIGKILL');
    for (let i = 0; i < 200 && (await isStillOurs(old)); i++) await sleep(10);
  } else await stopRecordedProcess(old, { graceMs: options.graceMs ?? 30_000 });
  // The new server's readiness banner must not be mistaken for the old one's.
  const log = realServerLog(stateDir, name);
  if (existsSync(log)) await rename(log, `${log}.1`);
  if (!state.files.includes(`${name}.log.1`)) state.files.push(`${name}.log.1`);
  const p = startRealServer(real, stateDir);
  state.processes[index] = p;
  await writeState(stateDir, state);
  await waitRealServerReady(p, log);
  return { oldPid: old.pid, newPid: p.pid, downMs: Math.round(performance.now() - started) };
}
