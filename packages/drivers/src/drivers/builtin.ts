import { shellJoin } from '@lvs-drain-kit/common';
import type { z } from 'zod';
import { type DriverDefinition, specSchema } from '../definition.js';
import { createLabControlTransport } from '../transports/lab-control.js';
import type { DrainDriver } from '../types.js';
import { createIpvsadmDriver } from './ipvsadm.js';

const schema = specSchema('builtin', (z) => ({
  control: z.string().min(1),
}));
export type BuiltinSpec = z.output<ReturnType<typeof schema>>;

export const builtinDriver: DriverDefinition<BuiltinSpec> = {
  kind: 'builtin',
  description: 'the builtin lab director (lvs-verify lab up), through ipvsadm',
  schema,
  flags: {
    control: { flag: '--control <HOST:PORT>', help: 'the lab director control port (printed by `lvs-verify lab up`)' },
  },
  examples: [{ kind: 'builtin', control: '127.0.0.1:40123' }],
  create: async (spec) => createBuiltinDriver(spec.control),
};

/** The builtin lab director speaks ipvsadm (no kernel to read): the ipvsadm driver over its control port. */
export function createBuiltinDriver(control: string): DrainDriver {
  return createIpvsadmDriver({
    transport: createLabControlTransport(control),
    name: 'builtin',
    readKernel: false,
    manual: (argv) => shellJoin(['lvs-verify', 'lab', 'ipvsadm', '--control', control, '--', ...argv]),
  });
}
