import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DrainDriver } from '@lvs-drain-kit/drivers';
import { createDriver } from '@lvs-drain-kit/drivers';
import { type LabDirector, type LabDirectorOptions, type Misbehaviour, startLabDirector } from '@lvs-drain-kit/lab';
import { type RsServer, startRsServer } from '@lvs-drain-kit/server';
import type { Logger } from 'pino';
import type { DrainTestOptions } from '../src/options.js';

/** Two real rs-servers (rs1, rs2) and the lab director, all in this process, plus short drain-test settings. */
export interface InProcessLab {
  /** Everything runDrainTest needs but the driver. */
  base: Omit<DrainTestOptions, 'driver' | 'onProgress'>;
  /** The ipvsadm-speaking driver of the lab director. */
  builtin: DrainDriver;
  servers: RsServer[];
  director: LabDirector;
  /** `ipvsadm -e … -w WEIGHT` on the lab director, as another operator would: no run made this change. */
  setWeightByHand(real: { host: string; port: number }, weight: number): void;
  close(): Promise<void>;
}

/**
 * `director`: how the lab director schedules (scheduler, persistence) and misbehaves; wrr without
 * persistence by default. A list alone is its misbehaviours.
 */
export async function startInProcessLab(
  log: Logger,
  director:
    | Misbehaviour[]
    | Pick<LabDirectorOptions, 'scheduler' | 'persistent' | 'expireQuiescentTemplate' | 'misbehave'> = {},
): Promise<InProcessLab> {
  const common = { port: 0, maxLineBytes: 4096, idleTimeoutMs: 0, maxConnections: 0, keepAliveMs: 0, log };
  const servers = await Promise.all([
    startRsServer({ ...common, host: '127.0.0.2', name: 'rs1' }),
    startRsServer({ ...common, host: '127.0.0.3', name: 'rs2' }),
  ]);
  const reals = servers.map((s) => ({ host: s.address.address, port: s.address.port }));
  const labDirector = await startLabDirector({
    vip: { host: '127.0.0.1', port: 0 },
    control: { host: '127.0.0.1', port: 0 },
    reals,
    ...(Array.isArray(director) ? { misbehave: director } : director),
  });
  const dir = await mkdtemp(join(tmpdir(), 'lvs-verify-run-'));
  return {
    base: {
      vip: { host: '127.0.0.1', port: labDirector.vip.port },
      reals,
      drain: reals[0]!,
      holdMs: 300,
      intervalMs: 50,
      // The verifier, the servers and the director share one event loop, on a machine that may be busy:
      // a reply bound a loaded test process can keep (a test that wants timeouts sets its own).
      timeoutMs: 2000,
      restoreTimeoutMs: 2000,
      journalPath: join(dir, 'journal.json'),
    },
    builtin: await createDriver({ kind: 'builtin', control: `127.0.0.1:${labDirector.control.port}` }),
    servers,
    director: labDirector,
    setWeightByHand(real, weight) {
      const vip = `127.0.0.1:${labDirector.vip.port}`;
      labDirector.ipvsadm(['-e', '-t', vip, '-r', `${real.host}:${real.port}`, '-w', String(weight)]);
    },
    async close() {
      await labDirector.close();
      await Promise.all(servers.map((s) => s.destroy()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
