/**
 * The options of `lvs-verify drain-test`, in --help order. The keys are those of DrainTestOptions where an
 * option sets one; a cluster file uses the same names (or `config.key`). The driver's own flags come from
 * the drivers' table (@lvs-drain-kit/drivers) and are listed after `--driver`; the options every
 * cluster command shares are CLUSTER_OPTIONS' entries.
 */
import type { HostPort } from '@lvs-drain-kit/common';
import { MISBEHAVIOURS } from '@lvs-drain-kit/lab';
import { DEFAULTS } from '../options.js';
import { CLUSTER_OPTIONS } from './cluster.js';
import { addressSchema, type ConfigValuesOf, count, duration, type FlagValues, flag, option } from './define.js';

export const DRAIN_TEST_OPTIONS = {
  vip: CLUSTER_OPTIONS.vip,
  reals: CLUSTER_OPTIONS.reals,
  drain: option<string, HostPort>({
    flag: '--drain <HOST:PORT|NAME>',
    help: 'the real server to drain',
    config: { schema: addressSchema, required: true },
  }),
  driver: CLUSTER_OPTIONS.driver,
  config: CLUSTER_OPTIONS.config,
  lab: option<string | true>({
    flag: '--lab [engine]',
    help: 'zero setup: start a lab (builtin by default; ipvs, nft, haproxy need root), test, stop it',
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
  timeoutMs: CLUSTER_OPTIONS.timeoutMs,
  restoreTimeoutMs: CLUSTER_OPTIONS.restoreTimeoutMs,
  restoreWeight: count(
    '--restore-weight <n>',
    'weight to put back where the driver cannot read it (a restore command with {weight})',
    1,
    65535,
  ),
  restore: flag('--no-restore', 'leave the server drained (undo later with `lvs-verify undo`)'),
  strict: flag('--strict', 'the reused-source-port probe fails instead of warning'),
  json: option<boolean>({ flag: '--json', help: 'print one JSON object (see README) instead of the human report' }),
  junit: option<string>({ flag: '--junit <file>', help: 'also write a JUnit XML file, one testcase per check' }),
  html: option<string>({
    flag: '--html <file>',
    help: 'also write a self-contained HTML report: every connection through the drain in time',
  }),
  journalPath: CLUSTER_OPTIONS.journalPath,
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
  'strict',
] as const satisfies ReadonlyArray<keyof ConfigValues>;
