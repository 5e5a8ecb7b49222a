import { UsageError } from '../errors.js';
import { shellJoin } from '../shell-quote.js';
import { createDirectorTransport } from '../transports/factory.js';
import { createLabControlTransport } from '../transports/lab-control.js';
import { createCommandDriver } from './command.js';
import { createHaproxyDriver } from './haproxy.js';
import { createIpvsadmDriver } from './ipvsadm.js';
import { createManualDriver } from './manual.js';
import type { DrainDriver, DriverSpec } from './types.js';

/** The one place where a driver is built from plain options (flags, config file, lab, journal). */
export async function createDriver(spec: DriverSpec): Promise<DrainDriver> {
  switch (spec.kind) {
    case 'ipvsadm':
      return createIpvsadmDriver({ transport: await createDirectorTransport(spec.director) });
    case 'builtin':
      return createIpvsadmDriver({
        transport: createLabControlTransport(spec.control),
        name: 'builtin',
        readKernel: false,
        manual: (argv) => shellJoin(['lvs-verify', 'lab', 'ipvsadm', '--control', spec.control, '--', ...argv]),
      });
    case 'haproxy':
      return createHaproxyDriver(spec);
    case 'command':
      return createCommandDriver(spec);
    case 'manual':
      return createManualDriver();
    case 'nft':
      return (await import('./nft.js')).nftDriverFromSpec(spec);
    default:
      throw new UsageError(
        `unknown driver "${(spec as { kind: string }).kind}": expected ipvsadm, haproxy, command, manual or builtin`,
      );
  }
}
