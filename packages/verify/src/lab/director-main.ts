/**
 * The builtin lab director as a process: `node director-main.js '<json LabDirectorOptions>'`.
 * Prints one JSON line `{"vip": "...", "control": "..."}` when ready; stops on SIGTERM/SIGINT.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { type LabDirectorOptions, startLabDirector } from './director.js';

const options = JSON.parse(process.argv[2] ?? '{}') as LabDirectorOptions;
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
