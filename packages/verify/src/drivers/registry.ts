import { UsageError } from '../errors.js';
import { shellJoin } from '../shell-quote.js';
import { createLabControlTransport } from '../transports/lab-control.js';
import { createIpvsadmDriver } from './ipvsadm.js';
import type { DrainDriver, DriverSpec } from './types.js';

/** The one place where a driver is built from plain options (flags, config file, lab, journal). */
export async function createDriver(spec: DriverSpec): Promise<DrainDriver> {
  switch (spec.kind) {
    case 'ipvsadm':
      // execa and friends load only for the drivers that run programs.
      return createIpvsadmDriver({
        transport: await (await import('../transports/factory.js')).createDirectorTransport(spec.director),
      });
    case 'builtin':
      return createIpvsadmDriver({
        transport: createLabControlTransport(spec.control),
        name: 'builtin',
        readKernel: false,
        manual: (argv) => shellJoin(['lvs-verify', 'lab', 'ipvsadm', '--control', spec.control, '--', ...argv]),
      });
    case 'haproxy':
      return (await import('./haproxy.js')).createHaproxyDriver(spec);
    case 'command':
      return (await import('./command.js')).createCommandDriver(spec);
    case 'manual':
      return (await import('./manual.js')).createManualDriver();
    case 'nft':
      return (await import('./nft.js')).nftDriverFromSpec(spec);
    default:
      throw new UsageError(
        `unknown driver "${(spec as { kind: string }).kind}": expected ipvsadm, haproxy, command, manual or builtin`,
      );
  }
}
