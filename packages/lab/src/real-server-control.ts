/**
 * Stopping and starting one real server of a lab that is up, in its own namespace, at its own address
 * and port: what a health checker sees when a server goes away and comes back (keepalived's TCP_CHECK
 * failing, then succeeding), and the work a maintenance does (`lab restart-real`, the hook
 * `lvs-verify maintain --exec` calls in the labs). The state file keeps recording the server's current
 * process, so `lab down` stops a restarted server like any other.
 */
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStillOurs, type RecordedProcess, stopRecordedProcess } from '@lvs-drain-kit/common';
import { LabError } from './errors.js';
import { defaultStateDir, type LabRef, readLabInfo } from './lab.js';
import { planLab } from './plan.js';
import { realServerLog, startRealServer, waitRealServerReady } from './real-servers.js';
import { readState, writeState } from './state.js';

export interface StopRealOptions {
  /** SIGKILL at once instead of SIGTERM: connections are cut, as in a crash. */
  kill?: boolean;
  /** How long a SIGTERM-ed server may take to finish its connections before SIGKILL. Default 2 s. */
  graceMs?: number;
}

export interface RestartRealOptions extends StopRealOptions {
  /** Default 30 s: a maintenance lets the server finish its connections. */
  graceMs?: number;
}

export interface RestartRealResult {
  oldPid: number;
  newPid: number;
  /** From the signal until the new server was ready. */
  downMs: number;
}

/** How long a SIGKILL-ed process may take to be gone before the next step goes on anyway. */
const KILL_EXIT_MS = 2000;

async function upState(stateDir: string) {
  const state = await readState(stateDir);
  if (!state?.info) throw new LabError(`no lab is up in ${stateDir}`, 'LAB_NOT_UP');
  const info = state.info;
  const listed = (name: string) => {
    const real = info.reals.find((r) => r.name === name);
    if (!real) {
      const names = info.reals.map((r) => r.name).join(', ');
      throw new LabError(`the lab has no real server ${name} (${names})`, 'LAB_NO_REAL');
    }
    return real;
  };
  return { state, info, listed };
}

async function killAndWait(p: RecordedProcess): Promise<void> {
  if (await isStillOurs(p)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + KILL_EXIT_MS;
  while (Date.now() < deadline && (await isStillOurs(p))) await sleep(10);
}

/**
 * Stops real server `name`: SIGTERM, then SIGKILL once `graceMs` has passed (or SIGKILL at once with
 * `kill`); its open connections end with it. Resolves with the PID it stopped.
 */
export async function stopLabRealServer(
  stateDir: string,
  name: string,
  options: StopRealOptions = {},
): Promise<number> {
  const { state, listed } = await upState(stateDir);
  listed(name);
  const p = state.processes.find((x) => x.role === name);
  if (!p) throw new LabError(`the lab has no running real server ${name}`);
  if (options.kill) await killAndWait(p);
  else await stopRecordedProcess(p, { graceMs: options.graceMs ?? 2000 });
  state.processes = state.processes.filter((x) => x !== p);
  await writeState(stateDir, state);
  return p.pid;
}

/**
 * Starts real server `name` again where the lab planned it, on the port it had (the kernel's pick in
 * the builtin lab); resolves with its PID once it listens. The previous server's log is kept as
 * `NAME.log.1`, and its readiness banner cannot be mistaken for the new one's.
 */
export async function startLabRealServer(stateDir: string, name: string): Promise<number> {
  const { state, info, listed } = await upState(stateDir);
  const { port } = listed(name);
  if (state.processes.some((x) => x.role === name)) throw new LabError(`real server ${name} is running`);
  const planned = planLab(info.engine, info.id, { port: info.vip.port, realCount: info.reals.length }).reals.find(
    (r) => r.name === name,
  );
  if (!planned) throw new LabError(`the lab has no real server ${name}`, 'LAB_NO_REAL');
  const log = realServerLog(stateDir, name);
  if (existsSync(log)) await rename(log, `${log}.1`);
  if (!state.files.includes(`${name}.log.1`)) state.files.push(`${name}.log.1`);
  const p = startRealServer({ ...planned, port }, stateDir);
  state.processes.push(p);
  await writeState(stateDir, state);
  await waitRealServerReady(p, log);
  return p.pid;
}

/** Stops real server `name` (see stopLabRealServer; SIGTERM grace 30 s by default) and starts it again. */
export async function restartRealServer(
  ref: LabRef,
  name: string,
  options: RestartRealOptions = {},
): Promise<RestartRealResult> {
  const info = await readLabInfo(ref);
  const stateDir = ref.stateDir ?? defaultStateDir(info.engine);
  const started = performance.now();
  const oldPid = await stopLabRealServer(stateDir, name, { ...options, graceMs: options.graceMs ?? 30_000 });
  const newPid = await startLabRealServer(stateDir, name);
  return { oldPid, newPid, downMs: Math.round(performance.now() - started) };
}
