import type { CommandTransport } from '@lvs-drain-kit/common';
import { UsageError } from '../errors.js';
import { createLocalTransport } from './local.js';
import { createSshTransport } from './ssh.js';

/**
 * Where director commands run, from `--director`:
 * - undefined or `local`: this host;
 * - `ssh://user@host[:port]`: through the system ssh;
 * - `serial:/path/ctl.sock`: the IPVS lab VM's serial command channel (from @lvs-drain-kit/lab).
 */
export async function createDirectorTransport(director: string | undefined): Promise<CommandTransport> {
  if (director === undefined || director === 'local') return createLocalTransport();
  if (director.startsWith('ssh://')) return createSshTransport(director);
  if (director.startsWith('serial:'))
    return (await import('@lvs-drain-kit/lab')).createSerialTransport(director.slice(7));
  throw new UsageError(`unsupported --director "${director}": expected local, ssh://user@host or serial:/path`);
}
