import type { CommandTransport } from '@lvs-drain-kit/common';
import type { DriverFlag } from '../definition.js';
import { DriverSpecError } from '../errors.js';

/** `--director`: shared by every driver that runs programs on the director (ipvsadm, nft). */
export const DIRECTOR_FLAG: DriverFlag<string> = {
  flag: '--director <where>',
  help: 'where its commands run: local (default), ssh://user@host[:port], serial:PATH (the IPVS lab VM) or builtin:HOST:PORT (the builtin lab)',
};

/**
 * Where director commands run, from `--director`:
 * - undefined or `local`: this host;
 * - `ssh://user@host[:port]`: through the system ssh;
 * - `serial:/path/ctl.sock`: the IPVS lab VM's serial command channel;
 * - `builtin:HOST:PORT`: the builtin lab director's control port (it speaks ipvsadm only).
 * Each transport loads on first use: a CLI that never runs a program does not pay for execa.
 */
export async function createDirectorTransport(director: string | undefined): Promise<CommandTransport> {
  if (director === undefined || director === 'local') return (await import('./local.js')).createLocalTransport();
  if (director.startsWith('ssh://')) return (await import('./ssh.js')).createSshTransport(director);
  if (director.startsWith('serial:')) return (await import('./serial.js')).createSerialTransport(director.slice(7));
  if (director.startsWith('builtin:'))
    return (await import('./lab-control.js')).createLabControlTransport(director.slice(8));
  throw new DriverSpecError(
    `unsupported --director "${director}": expected local, ssh://user@host, serial:/path or builtin:HOST:PORT`,
  );
}
