import { createInterface } from 'node:readline/promises';
import { formatHostPort, InterruptedError, shellJoin } from '@lvs-drain-kit/common';
import type { z } from 'zod';
import { type DriverDefinition, specSchema } from '../definition.js';
import { DriverSpecError } from '../errors.js';
import type { DrainDriver } from '../types.js';

const schema = specSchema('manual', () => ({}));
export type ManualSpec = z.output<ReturnType<typeof schema>>;

export const manualDriver: DriverDefinition<ManualSpec> = {
  kind: 'manual',
  description: 'prints the ipvsadm command to run by hand, waits for Enter (tty)',
  schema,
  flags: {},
  examples: [{ kind: 'manual' }],
  create: async () => createManualDriver(),
};

export interface ManualDriverOptions {
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream;
}

/** The classic way: print the command for the operator to run on the director, wait for Enter. Terminal only. */
export function createManualDriver(options: ManualDriverOptions = {}): DrainDriver {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (!input.isTTY)
    throw new DriverSpecError('--driver manual needs a terminal to wait for Enter; use ipvsadm, haproxy or command');
  const command = (vip: string, real: string, weight: number) =>
    shellJoin(['ipvsadm', '-e', '-t', vip, '-r', real, '-w', String(weight)]);
  return {
    name: 'manual',
    description: 'manual (the operator runs each command on the director)',
    async inspect() {
      return { servers: [] };
    },
    async getWeight() {
      return undefined;
    },
    async setWeight(service, real, weight) {
      const rl = createInterface({ input, output });
      const question = `\nRun this on the director, then press Enter:\n\n    ${command(formatHostPort(service.vip), formatHostPort(real), weight)}\n\n`;
      try {
        await new Promise<void>((resolve, reject) => {
          // A terminal's Ctrl-C reaches readline, not the process: hand it on, so the run stops and restores.
          rl.on('SIGINT', () => {
            reject(new InterruptedError('SIGINT'));
            process.kill(process.pid, 'SIGINT');
          });
          rl.question(question).then(() => resolve(), reject);
        });
      } finally {
        rl.close();
      }
    },
    manualCommand(service, real, weight) {
      return command(formatHostPort(service.vip), formatHostPort(real), weight);
    },
  };
}
