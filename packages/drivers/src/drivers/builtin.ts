import { shellJoin } from '@lvs-drain-kit/common';
import { type DriverSpec, defineDriver } from '../definition.js';
import { createLabControlTransport } from '../transports/lab-control.js';
import type { DrainDriver } from '../types.js';
import { createIpvsadmDriver } from './ipvsadm.js';

export const builtinDriver = defineDriver(
  'builtin',
  (z) => ({
    control: z.string().min(1),
  }),
  {
    description: 'the builtin lab director (lvs-verify lab up), through ipvsadm',
    flags: {
      control: {
        flag: '--control <HOST:PORT>',
        help: 'the lab director control port (printed by `lvs-verify lab up`)',
      },
    },
    examples: [{ kind: 'builtin', control: '127.0.0.1:40123' }],
    create: async (spec) => createBuiltinDriver(spec.control),
  },
);
export type BuiltinSpec = DriverSpec<typeof builtinDriver>;

/** The builtin lab director speaks ipvsadm (no kernel to read): the ipvsadm driver over its control port. */
export function createBuiltinDriver(control: string): DrainDriver {
  return createIpvsadmDriver({
    transport: createLabControlTransport(control),
    name: 'builtin',
    readKernel: false,
    manual: (argv) => shellJoin(['lvs-verify', 'lab', 'ipvsadm', '--control', control, '--', ...argv]),
  });
}
