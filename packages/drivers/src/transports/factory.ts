import type { CommandTransport } from '@lvs-drain-kit/common';
import type { DriverFlag } from '../definition.js';
import { DriverSpecError } from '../errors.js';

/** `--director`: shared by every driver that runs programs on the director (ipvsadm, nft). */
export const DIRECTOR_FLAG: DriverFlag<string> = {
  flag: '--director <where>',
  help: 'where its commands run: local (default), ssh://user@host[:port], or serial:PATH (the IPVS lab VM)',
};

/**
 * Where director commands run, from `--director`:
 * - undefined or `local`: this host;
 * - `ssh://user@host[:port]`: through the system ssh;
 * - `serial:/path/ctl.sock`: the IPVS lab VM's serial command channel.
 * Each transport loads on first use: a CLI that never runs a program does not pay for execa.
 */
export async function createDirectorTransport(director: string | undefined): Promise<CommandTransport> {
  if (director === undefined || director === 'local') return (await import('./local.js')).createLocalTransport();
  if (director.startsWith('ssh://')) return (await import('./ssh.js')).createSshTransport(director);
  if (director.startsWith('serial:')) return (await import('./serial.js')).createSerialTransport(director.slice(7));
  throw new DriverSpecError(`unsupported --director "${director}": expected local, ssh://user@host or serial:/path`);
}
