/**
 * The options of `lvs-verify drain-test`, in --help order. The keys are those of DrainTestOptions where an
 * option sets one; a cluster file uses the same names (or `config.key`). The driver's own flags come from
 * the drivers' table (@lvs-drain-kit/drivers) and are listed after `--driver`.
 */
import type { HostPort } from '@lvs-drain-kit/common';
import { DRIVER_KINDS, type DriverKind, type DriverSpec, driverConfigSchema } from '@lvs-drain-kit/drivers';
import { LAB_ENGINES, MISBEHAVIOURS } from '@lvs-drain-kit/lab';
import { samplesForLeak } from '../measure/power.js';
import { DEFAULTS, MIN_HOLD_INTERVALS, type RealSpec } from '../options.js';
import {
  addressSchema,
  type ConfigValuesOf,
  count,
  duration,
  type FlagValues,
  flag,
  option,
  percent,
} from './define.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const DRAIN_TEST_OPTIONS = {
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
  drain: option<string, HostPort>({
    flag: '--drain <HOST:PORT|NAME>',
    help: 'the real server to drain',
    config: { schema: addressSchema, required: true },
  }),
  driver: option<DriverKind, DriverSpec>({
    flag: '--driver <kind>',
    help: 'how to change the weight (see Drivers below)',
    choices: DRIVER_KINDS,
    config: { schema: driverConfigSchema, required: true },
  }),
  config: option<string>({ flag: '--config <file>', help: 'a cluster file (YAML) with the same settings; flags win' }),
  lab: option<string | true>({
    flag: '--lab [engine]',
    help: `zero setup: start a lab (builtin by default; ${LAB_ENGINES.filter((e) => e !== 'builtin').join(', ')} need root), test, stop it`,
  }),
  labMisbehave: option<string>({
    flag: '--lab-misbehave <list>',
    help: `builtin lab negative controls: ${MISBEHAVIOURS.join(', ')}`,
    hidden: true,
  }),
  connections: count('--connections <n>', 'old connections held through the drain', 2, 10_000, DEFAULTS.connections),
  maxLeak: percent(
    '--max-leak <percent>',
    `the share of new connections still sent to the drained server that the test must catch with 95% confidence; sizes --new-connections (${samplesForLeak(DEFAULTS.maxLeak)} at ${DEFAULTS.maxLeak * 100}%)`,
    DEFAULTS.maxLeak,
  ),
  newConnections: {
    ...count('--new-connections <n>', 'new connections after the drain; wins over --max-leak', 1, 100_000),
    defaultText: 'sized by --max-leak',
  },
  holdMs: duration(
    '--hold <duration>',
    `how long old connections keep talking after the drain took effect (at least ${MIN_HOLD_INTERVALS} intervals)`,
    DEFAULTS.holdMs,
    'hold',
  ),
  intervalMs: duration(
    '--interval <duration>',
    'pause between lines on each old connection',
    DEFAULTS.intervalMs,
    'interval',
  ),
  timeoutMs: duration('--timeout <duration>', 'per reply and per connect', DEFAULTS.timeoutMs, 'timeout'),
  restoreTimeoutMs: duration(
    '--restore-timeout <duration>',
    'how long new connections may take to come back after the restore',
    DEFAULTS.restoreTimeoutMs,
    'restoreTimeout',
  ),
  restoreWeight: count(
    '--restore-weight <n>',
    'weight to put back where the driver cannot read it (a restore command with {weight})',
    1,
    65535,
  ),
  restore: flag('--no-restore', 'leave the server drained (undo later with `lvs-verify undo`)'),
  strict: flag(
    '--strict',
    'warnings fail: a reused source port reaching the drained server, an old connection stalled',
  ),
  json: option<boolean>({ flag: '--json', help: 'print one JSON object (see README) instead of the human report' }),
  junit: option<string>({ flag: '--junit <file>', help: 'also write a JUnit XML file, one testcase per check' }),
  html: option<string>({
    flag: '--html <file>',
    help: 'also write a self-contained HTML report: every connection through the drain in time',
  }),
  journalPath: option<string>({
    flag: '--journal <file>',
    help: 'journal file (default: under the state directory)',
    hidden: true,
  }),
};

/** The flags of `drain-test` (the driver's own aside), as the command line gives them. */
export type DrainTestFlags = FlagValues<typeof DRAIN_TEST_OPTIONS>;

/** What a cluster file gives, validated, by option key. */
export type ConfigValues = ConfigValuesOf<typeof DRAIN_TEST_OPTIONS>;

/** The options a flag and a cluster file both set, the flag winning: they go to runDrainTest as they are. */
export const RUN_SETTINGS = [
  'connections',
  'maxLeak',
  'newConnections',
  'holdMs',
  'intervalMs',
  'timeoutMs',
  'restoreTimeoutMs',
  'restoreWeight',
  'restore',
  'strict',
] as const satisfies ReadonlyArray<keyof ConfigValues>;
