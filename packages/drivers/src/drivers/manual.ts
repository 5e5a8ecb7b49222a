/**
 * The classic way: a person runs each command on the director. The command is the one the ipvsadm driver
 * would run, built by the same function from the director's own listing (read through --director), so it
 * repeats the forwarding method, thresholds and tunnel settings that `ipvsadm -e` would otherwise reset;
 * after Enter the weight is read back. Terminal only.
 */
import { createInterface } from 'node:readline/promises';
import { type CommandTransport, InterruptedError, shellJoin } from '@lvs-drain-kit/common';
import type { z } from 'zod';
import { type DriverDefinition, specSchema } from '../definition.js';
import { DriverSpecError } from '../errors.js';
import { createDirectorTransport } from '../transports/factory.js';
import { createLocalTransport } from '../transports/local.js';
import type { DrainDriver } from '../types.js';
import { createIpvsadmDriver, IPVS_FLAGS, type IpvsServiceSettings, ipvsSettings, serviceSettings } from './ipvsadm.js';

const schema = specSchema('manual', ipvsSettings);
export type ManualSpec = z.output<ReturnType<typeof schema>>;

export const manualDriver: DriverDefinition<ManualSpec> = {
  kind: 'manual',
  description: "you run the exact ipvsadm command it prints (read from --director's table), then Enter",
  schema,
  flags: IPVS_FLAGS,
  examples: [
    { kind: 'manual' },
    { kind: 'manual', director: 'ssh://operator@lb1', protocol: 'tcp' },
    { kind: 'manual', fwmark: 7 },
  ],
  create: async (spec) =>
    createManualDriver({ transport: await createDirectorTransport(spec.director), service: serviceSettings(spec) }),
};

export interface ManualDriverOptions {
  /** Where the director's table is read (never changed): default this host. */
  transport?: CommandTransport;
  service?: IpvsServiceSettings;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream;
}

export function createManualDriver(options: ManualDriverOptions = {}): DrainDriver {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (!input.isTTY)
    throw new DriverSpecError('--driver manual needs a terminal to wait for Enter; use ipvsadm, haproxy or command');
  const command = (argv: string[]) => shellJoin(['ipvsadm', ...argv]);

  async function askOperator(argv: string[]): Promise<void> {
    const rl = createInterface({ input, output });
    const question = `\nRun this on the director, then press Enter:\n\n    ${command(argv)}\n\n`;
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
  }

  const transport = options.transport ?? createLocalTransport();
  return createIpvsadmDriver({
    transport,
    ...(options.service ? { service: options.service } : {}),
    name: 'manual',
    description: `manual (the operator runs ipvsadm on the director; read via ${transport.description})`,
    manual: command,
    apply: askOperator,
  });
}
