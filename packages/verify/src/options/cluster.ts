/**
 * The options of every command that acts on a cluster — drain-test, maintain, drain, undrain: the
 * virtual service, its real servers, the driver (its own flags come from the drivers' table), a cluster
 * file, and the settings they mean the same by. Each command's table takes these entries as they are,
 * so a flag reads, helps and sits in a cluster file the same way everywhere.
 */
import type { HostPort } from '@lvs-drain-kit/common';
import { DRIVER_KINDS, type DriverKind, type DriverSpec, driverConfigSchema } from '@lvs-drain-kit/drivers';
import { DEFAULTS, type RealSpec } from '../options.js';
import { addressSchema, duration, option } from './define.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const CLUSTER_OPTIONS = {
  vip: option<string, HostPort>({
    flag: '--vip <HOST:PORT>',
    help: 'the virtual service, e.g. 172.16.0.113:2100',
    config: { schema: addressSchema, required: true },
  }),
  reals: option<string[], RealSpec[]>({
    flag: '--real <HOST:PORT[=NAME]>',
    help: 'a real server (repeat); its name is learned by asking it unless given',
    parse: collect,
    config: {
      required: true,
      schema: (z) =>
        z
          .array(
            z.union([
              addressSchema(z).transform((hp) => ({ host: hp.host, port: hp.port })),
              z
                .object({ address: addressSchema(z), name: z.string().min(1).optional() })
                .strict()
                .transform((r) => ({
                  host: r.address.host,
                  port: r.address.port,
                  ...(r.name ? { name: r.name } : {}),
                })),
            ]),
          )
          .min(2, 'at least two real servers: one to drain, one to take the load'),
    },
  }),
  driver: option<DriverKind, DriverSpec>({
    flag: '--driver <kind>',
    help: 'how to change the weight (see Drivers below)',
    choices: DRIVER_KINDS,
    config: { schema: driverConfigSchema, required: true },
  }),
  config: option<string>({ flag: '--config <file>', help: 'a cluster file (YAML) with the same settings; flags win' }),
  timeoutMs: duration('--timeout <duration>', 'per reply and per connect', DEFAULTS.timeoutMs, 'timeout'),
  restoreTimeoutMs: duration(
    '--restore-timeout <duration>',
    'how long new connections may take to come back after the restore',
    DEFAULTS.restoreTimeoutMs,
    'restoreTimeout',
  ),
  /** Every command that acts on a cluster reports as text or, with this, as one JSON object. */
  json: option<boolean>({ flag: '--json', help: 'print one JSON object (see README) instead of the human report' }),
  journalPath: option<string>({
    flag: '--journal <file>',
    help: 'journal file (default: under the state directory)',
    hidden: true,
  }),
};
