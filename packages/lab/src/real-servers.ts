/** The lab's real servers: the real `rs-server` of this repository, one process per server. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseReadyBanner, RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { LabError } from './errors.js';
import type { RealServerPlan } from './plan.js';
import { spawnDetached, waitForLogRecord } from './processes.js';
import type { LabProcess } from './state.js';

export function realServerLog(stateDir: string, name: string): string {
  return join(stateDir, `${name}.log`);
}

/**
 * Starts `rs-server` for one planned server: in its namespace on every address (the VIP too, in DR
 * mode), or on this host on its loopback address. Port 0 lets the kernel pick one.
 */
export function startRealServer(real: RealServerPlan, stateDir: string, bin = RS_SERVER_BIN): LabProcess {
  if (!existsSync(bin)) throw new LabError(`rs-server not found at ${bin} (npm run build?)`);
  const argv = [
    process.execPath,
    bin,
    String(real.port),
    '--host',
    real.netns ? '0.0.0.0' : real.host,
    '--name',
    real.name,
    '--log-format',
    'json',
    // `lab down` waits this long for open connections before the process is killed anyway.
    '--shutdown-timeout',
    '1s',
  ];
  const p = spawnDetached(argv, {
    logFile: realServerLog(stateDir, real.name),
    cmdlineMarkers: [bin, '--name', real.name],
    ...(real.netns ? { netns: real.netns } : {}),
  });
  return { role: real.name, ...p };
}

/** Waits for the server's readiness banner in its JSON log; resolves with the port it listens on. */
export function waitRealServerReady(p: LabProcess, logFile: string, timeoutMs = 15_000): Promise<number> {
  return waitForLogRecord(
    p,
    logFile,
    (rec) => (typeof rec.msg === 'string' ? parseReadyBanner(rec.msg) : undefined),
    timeoutMs,
  );
}
