/**
 * Runs one drain test from inside a lab's client namespace (where the VIP is reachable) and prints the
 * JSON report: `ip netns exec CLIENT node --import tsx drain-in-client.ts '<job json>'`.
 * A separate process because a namespace is per process: the test runner stays in the host's.
 */

import { createDriver, type DriverSpec } from '@lvs-drain-kit/drivers';
import type { LabInfo } from '@lvs-drain-kit/lab';
import { type DrainTestOptions, runDrainTest } from '@lvs-drain-kit/verify';
import { type Breakage, breakDriver } from './broken-drivers.js';
import { serviceOf } from './service.js';

export interface DrainJob {
  info: LabInfo;
  driverSpec: DriverSpec;
  breakage?: Breakage;
  journalPath: string;
  /** Index into info.reals of the server to drain. */
  drain?: number;
  /** The lab's line service (rs-server, the default) or its HTTP service (nginx). */
  service?: 'line' | 'http';
  options: Pick<
    DrainTestOptions,
    | 'connections'
    | 'newConnections'
    | 'holdMs'
    | 'intervalMs'
    | 'timeoutMs'
    | 'restoreTimeoutMs'
    | 'strict'
    | 'restoreWeight'
    | 'probe'
    | 'identity'
  >;
}

const job = JSON.parse(process.argv[2] ?? '{}') as DrainJob;
const info = serviceOf(job.info, job.service ?? 'line');
const real = info.reals[job.drain ?? 0]!;
const plain = await createDriver(job.driverSpec);
const driver = job.breakage ? await breakDriver(plain, job.breakage, info) : plain;
const report = await runDrainTest({
  ...job.options,
  vip: info.vip,
  reals: info.reals,
  drain: { host: real.host, port: real.port },
  driver,
  journalPath: job.journalPath,
});
process.stdout.write(`${JSON.stringify(report)}\n`);
// Lingering sockets must not keep a finished run alive.
process.exit(0);
