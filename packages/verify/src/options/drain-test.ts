/**
 * The options of `lvs-verify drain-test`, in --help order. The keys are those of DrainTestOptions where an
 * option sets one; a cluster file uses the same names (or `config.key`). The driver's own flags come from
 * the drivers' table (@lvs-drain-kit/drivers) and are listed after `--driver`.
 */
import { type HostPort, wholeNumber } from '@lvs-drain-kit/common';
import { DRIVER_KINDS, type DriverKind, type DriverSpec, driverConfigSchema } from '@lvs-drain-kit/drivers';
import { MISBEHAVIOURS } from '@lvs-drain-kit/lab';
import { DEFAULTS, type RealSpec } from '../options.js';
import { addressSchema, type ConfigValuesOf, count, duration, type FlagValues, flag, option } from './define.js';

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
    help: 'zero setup: start a lab (builtin by default; ipvs, nft, haproxy need root), test, stop it',
  }),
  labScheduler: option<string>({
    flag: '--lab-scheduler <name>',
    help: 'with --lab: the lab director schedules so (ipvs: ipvsadm -s, e.g. sh; nft: jhash; haproxy: source)',
  }),
  labPersistent: option<number>({
    flag: '--lab-persistent <seconds>',
    help: 'with --lab (ipvs, builtin): a persistent service (ipvsadm -p SECONDS)',
    parse: wholeNumber(1, 86_400),
  }),
  labSchedFlags: option<string>({
    flag: '--lab-sched-flags <list>',
    help: 'with --lab ipvs: scheduler flags (ipvsadm -b), e.g. sh-fallback',
  }),
  labMisbehave: option<string>({
    flag: '--lab-misbehave <list>',
    help: `builtin lab negative controls: ${MISBEHAVIOURS.join(', ')}`,
    hidden: true,
  }),
  connections: count('--connections <n>', 'old connections held through the drain', 2, 10_000, DEFAULTS.connections),
  newConnections: count(
    '--new-connections <n>',
    'fresh connections after the drain',
    1,
    100_000,
    DEFAULTS.newConnections,
  ),
  holdMs: duration(
    '--hold <duration>',
    'how long old connections keep talking after the drain',
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
  sources: option<string[], string[]>({
    flag: '--source <ADDR>',
    help: 'connect from this address of this host (repeat); hashing and persistent services need several',
    parse: collect,
    config: { schema: (z) => z.array(z.string().min(1)) },
  }),
  sourceRange: option<string, string>({
    flag: '--source-range <CIDR>',
    help: 'connect from every address of this range, in turn (they must be this host’s), e.g. 198.18.0.160/27',
    config: { schema: (z) => z.string().min(1) },
  }),
  strict: flag('--strict', 'the reused-source-port probe fails instead of warning'),
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
  'newConnections',
  'holdMs',
  'intervalMs',
  'timeoutMs',
  'restoreTimeoutMs',
  'restoreWeight',
  'restore',
  'sources',
  'sourceRange',
  'strict',
] as const satisfies ReadonlyArray<keyof ConfigValues>;
