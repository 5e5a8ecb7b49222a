/**
 * The builtin lab director as a process: `node director-main.js '<json options>'`, the options of
 * `startLabDirector` plus, for a lab that lives only as long as its owner (a verifier), `watch`.
 * Prints one JSON line `{"ready": true, "vip": "...", "control": "..."}` when ready; stops on SIGTERM/SIGINT.
 */
import { formatHostPort, isStillOursSync, type RecordedProcess } from '@lvs-drain-kit/common';
import { type LabDirectorOptions, startLabDirector } from './director.js';

export interface DirectorMainOptions extends LabDirectorOptions {
  /** The process that owns this lab, and the real servers started with it (stopped with the lab). */
  watch?: { owner: RecordedProcess; servers: RecordedProcess[] };
}

/** The ready line, as `lab up` reads it from the director's log. */
export interface DirectorReady {
  ready: true;
  pid: number;
  vip: string;
  control: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as DirectorMainOptions;
const director = await startLabDirector(options);
const ready: DirectorReady = {
  ready: true,
  pid: process.pid,
  vip: formatHostPort({ host: director.vip.address, port: director.vip.port }),
  control: formatHostPort({ host: director.control.address, port: director.control.port }),
};
process.stdout.write(`${JSON.stringify(ready)}\n`);
const stop = () => {
  director.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// An owner killed with SIGKILL cannot stop its lab: the director notices and stops it all.
if (options.watch) {
  const { owner, servers } = options.watch;
  setInterval(() => {
    if (isStillOursSync(owner)) return;
    for (const s of servers) {
      if (isStillOursSync(s)) process.kill(s.pid, 'SIGKILL');
    }
    stop();
  }, 500).unref();
}
