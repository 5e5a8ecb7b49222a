/**
 * The builtin lab director as a process: `node director-main.js '<json options>'`, the options of
 * `startLabDirector` plus, for a lab that lives only as long as its verifier, `watch`.
 * Prints one JSON line `{"vip": "...", "control": "..."}` when ready; stops on SIGTERM/SIGINT.
 */

import { readFileSync } from 'node:fs';
import { formatHostPort } from '@lvs-drain-kit/common';
import { type LabDirectorOptions, startLabDirector } from './director.js';

interface MainOptions extends LabDirectorOptions {
  /** The verifier that started this lab, and the rs-server pids it started with it. */
  watch?: { parent: number; servers: number[] };
}

const options = JSON.parse(process.argv[2] ?? '{}') as MainOptions;
const director = await startLabDirector(options);
process.stdout.write(
  `${JSON.stringify({
    ready: true,
    pid: process.pid,
    vip: formatHostPort({ host: director.vip.address, port: director.vip.port }),
    control: formatHostPort({ host: director.control.address, port: director.control.port }),
  })}\n`,
);
const stop = () => {
  director.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// A verifier killed with SIGKILL cannot stop its inline lab: the director notices and stops it all.
if (options.watch) {
  const { parent, servers } = options.watch;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      for (const pid of servers) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('rs-server')) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      stop();
    }
  }, 500).unref();
}
