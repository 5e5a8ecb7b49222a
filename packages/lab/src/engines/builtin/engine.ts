/**
 * The builtin lab: two `rs-server` processes on 127.0.0.2 and 127.0.0.3 and the userspace director
 * (director.ts) on 127.0.0.1, every port picked by the kernel. Any user may run it: no namespaces, no root.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseHostPort, recordProcess } from '@lvs-drain-kit/common';
import { createLabControlTransport } from '@lvs-drain-kit/drivers';
import { LabError } from '../../errors.js';
import { spawnDetached, waitForLogRecord } from '../../processes.js';
import type { DirectorEngine } from '../engine.js';
import type { BuiltinScheduler } from './director.js';
import type { DirectorMainOptions, DirectorReady } from './director-main.js';

/** The director's script, run from dist/ (lab/src and lab/dist both resolve to lab/dist). */
export const DIRECTOR_MAIN = fileURLToPath(new URL('../../../dist/engines/builtin/director-main.js', import.meta.url));
const LOG = 'director.log';

export const builtinEngine: DirectorEngine = {
  description:
    'a userspace director on 127.0.0.1 that schedules like IPVS wrr (rr, sh, -p) and speaks ipvsadm (no root)',
  needsRoot: false,
  network: 'loopback',
  options: ['persistent', 'misbehave', 'ownedBy'],
  tools: [],
  directRouting: false,
  needsTap: false,

  async start(ctx) {
    if (!existsSync(DIRECTOR_MAIN)) throw new LabError(`${DIRECTOR_MAIN} is missing: run npm run build`);
    const { plan, stateDir } = ctx;
    // The director relays to the ports the real servers listen on: known once they do.
    const reals = await ctx.reals;
    const { ownedBy } = ctx.options;
    const options: DirectorMainOptions = {
      vip: plan.vip,
      control: { host: plan.directorHost, port: 0 },
      reals: reals.map((r) => ({ host: r.host, port: r.port, weight: 1 })),
      scheduler: plan.scheduler as BuiltinScheduler,
      ...(ctx.options.persistent !== undefined ? { persistent: ctx.options.persistent } : {}),
      misbehave: ctx.options.misbehave ?? [],
      ...(ownedBy !== undefined
        ? { watch: { owner: await recordProcess(ownedBy, []), servers: reals.map((r) => r.process) } }
        : {}),
    };
    await ctx.recordFile(LOG);
    const logFile = join(stateDir, LOG);
    const director = {
      role: 'director',
      ...spawnDetached([process.execPath, DIRECTOR_MAIN, JSON.stringify(options)], {
        logFile,
        cmdlineMarkers: [DIRECTOR_MAIN],
      }),
    };
    await ctx.recordProcess(director);
    const ready = await waitForLogRecord(director, logFile, (rec) =>
      rec.ready === true ? (rec as unknown as DirectorReady) : undefined,
    );
    return {
      driver: { kind: 'builtin', control: ready.control },
      vip: parseHostPort(ready.vip),
      details: { control: ready.control, forwarding: 'userspace tcp relay (builtin)' },
    };
  },

  async describe({ info }) {
    if (info.driver.kind !== 'builtin') return '';
    const r = await createLabControlTransport(info.driver.control)
      .run(['ipvsadm', '-L', '-n'])
      .catch((err: Error) => ({ stdout: `director unreachable: ${err.message}`, stderr: '', exitCode: -1 }));
    return (r.stdout || r.stderr).trimEnd();
  },

  exampleCommand: ['ipvsadm', '-L', '-n'],
  // The control port speaks ipvsadm: `lab exec --director -- ipvsadm -L -n`.
  directorExec({ info }) {
    if (info.driver.kind !== 'builtin') throw new LabError('not a builtin lab');
    const control = createLabControlTransport(info.driver.control);
    return { run: (argv) => control.run(argv) };
  },
};
