import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseReadyBanner, RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { LabError } from './errors.js';
import type { RealServerPlan } from './plan.js';
import { liveCmdline, spawnDetachedInNetns } from './processes.js';
import type { RecordedProcess } from './state.js';

/** Starts `rs-server` in the real server's namespace, on all its addresses (the VIP too, in DR mode). */
export function startRealServer(real: RealServerPlan, stateDir: string, bin = RS_SERVER_BIN): RecordedProcess {
  if (!existsSync(bin)) throw new LabError(`rs-server not found at ${bin} (npm run build?)`);
  const argv = [
    process.execPath,
    bin,
    String(real.port),
    '--host',
    '0.0.0.0',
    '--name',
    real.name,
    '--log-format',
    'json',
  ];
  const pid = spawnDetachedInNetns(real.netns, argv, realServerLog(stateDir, real.name));
  return { role: real.name, pid, cmdlineMarkers: [bin, '--name', real.name] };
}

export function realServerLog(stateDir: string, name: string): string {
  return join(stateDir, `${name}.log`);
}

/** Waits for the server's readiness banner in its JSON log. */
export async function waitRealServerReady(p: RecordedProcess, logFile: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = existsSync(logFile) ? await readFile(logFile, 'utf8') : '';
    if (text.split('\n').some((line) => parseReadyBanner(line) !== undefined)) return;
    // Only a vanished PID counts: during `ip netns exec`'s exec the command line is briefly empty.
    if (!(await liveCmdline(p.pid))) throw new LabError(`rs-server ${p.role} exited: ${text.slice(-500)}`);
    await sleep(50);
  }
  throw new LabError(`rs-server ${p.role} did not start within ${timeoutMs} ms`);
}
