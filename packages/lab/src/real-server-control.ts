/**
 * Stopping and starting one real server of a lab that is up, in its own namespace, at its own address
 * and port: what a health checker sees when a server goes away and comes back (keepalived's TCP_CHECK
 * failing, then succeeding). The state file keeps recording the server's current process, so `lab down`
 * stops a restarted server like any other.
 */
import { stopRecordedProcess } from '@lvs-drain-kit/common';
import { LabError } from './errors.js';
import { planLab } from './plan.js';
import { realServerLog, startRealServer, waitRealServerReady } from './real-servers.js';
import { readState, writeState } from './state.js';

async function upState(stateDir: string) {
  const state = await readState(stateDir);
  if (!state?.info) throw new LabError(`no lab is up in ${stateDir}`, 'LAB_NOT_UP');
  return { state, info: state.info };
}

/** Stops real server `name` (SIGTERM, then SIGKILL; its open connections end with it). */
export async function stopLabRealServer(stateDir: string, name: string): Promise<void> {
  const { state } = await upState(stateDir);
  const p = state.processes.find((x) => x.role === name);
  if (!p) throw new LabError(`the lab has no running real server ${name}`);
  await stopRecordedProcess(p);
  state.processes = state.processes.filter((x) => x !== p);
  await writeState(stateDir, state);
}

/** Starts real server `name` again where the lab planned it; resolves once it listens. */
export async function startLabRealServer(stateDir: string, name: string): Promise<void> {
  const { state, info } = await upState(stateDir);
  if (state.processes.some((x) => x.role === name)) throw new LabError(`real server ${name} is running`);
  const real = planLab(info.engine, info.id, { port: info.vip.port, realCount: info.reals.length }).reals.find(
    (r) => r.name === name,
  );
  if (!real) throw new LabError(`the lab has no real server ${name}`);
  const p = startRealServer(real, stateDir);
  state.processes.push(p);
  await writeState(stateDir, state);
  await waitRealServerReady(p, realServerLog(stateDir, name));
}
