/**
 * The options of `lvs-verify maintain` (and the wait and health options `drain` and `undrain` share),
 * in --help order. The cluster options are CLUSTER_OPTIONS' entries, so a cluster file written for
 * drain-test serves maintain as it is.
 */
import { MAINTAIN_DEFAULTS as D, ON_TIMEOUT_ACTIONS, WAIT_EMPTY_MODES } from '../maintain/options.js';
import { CLUSTER_OPTIONS } from './cluster.js';
import { type ConfigValuesOf, choice, count, duration, option } from './define.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** How a drained server is waited for: maintain and `drain --wait`. */
export const WAIT_OPTIONS = {
  waitEmpty: choice(
    '--wait-empty <mode>',
    'active: no established connection left; all: none the director still holds, closed ones too (IPVS keeps those for its FIN timeout, 2m by default)',
    WAIT_EMPTY_MODES,
    D.waitEmpty,
  ),
  drainTimeoutMs: duration(
    '--drain-timeout <duration>',
    'how long a drained server may take to empty',
    D.drainTimeoutMs,
    'drainTimeout',
  ),
  onTimeout: choice(
    '--on-timeout <action>',
    'not empty in time: abort (put it back, stop) or continue (do the work anyway)',
    ON_TIMEOUT_ACTIONS,
    D.onTimeout,
  ),
  minServing: count(
    '--min-serving <n>',
    'refuse to drain a server unless this many others keep a weight above 0 (read before each)',
    0,
    10_000,
    D.minServing,
  ),
  pollMs: duration('--poll <duration>', "how often the director's connection counts are read", D.pollMs, 'poll'),
};

export const HEALTHY_TIMEOUT = duration(
  '--healthy-timeout <duration>',
  'how long a server may take to answer directly with its own name before it goes back',
  D.healthyTimeoutMs,
  'healthyTimeout',
);

export const MAINTAIN_OPTIONS = {
  vip: CLUSTER_OPTIONS.vip,
  reals: CLUSTER_OPTIONS.reals,
  only: option<string[]>({
    flag: '--only <NAME|HOST:PORT>',
    help: 'maintain this real server (repeat, in order); default every --real in turn',
    parse: collect,
  }),
  driver: CLUSTER_OPTIONS.driver,
  config: CLUSTER_OPTIONS.config,
  exec: option<string, string>({
    flag: '--exec <command>',
    help: 'the work on each server, by /bin/sh -c; {name} {rip} {rport} {vip} {vport} {weight} are filled in, shell-quoted',
    config: { schema: (z) => z.string().min(1) },
  }),
  execTimeoutMs: duration('--exec-timeout <duration>', 'how long the work may take', D.execTimeoutMs, 'execTimeout'),
  ...WAIT_OPTIONS,
  healthyTimeoutMs: HEALTHY_TIMEOUT,
  restoreTimeoutMs: CLUSTER_OPTIONS.restoreTimeoutMs,
  rate: count('--rate <n>', 'new short connections per second through the VIP, the whole run', 1, 10_000, D.rate),
  longLived: count(
    '--long-lived <n>',
    'long-lived connections, a request every --interval each',
    0,
    10_000,
    D.longLived,
  ),
  maxAgeMs: duration(
    '--max-age <duration>',
    'a long-lived connection closes gracefully and reconnects after this long, like a pooled client',
    D.maxAgeMs,
    'maxAge',
  ),
  intervalMs: duration(
    '--interval <duration>',
    'pause between requests on each long-lived connection',
    D.intervalMs,
    'interval',
  ),
  timeoutMs: CLUSTER_OPTIONS.timeoutMs,
  json: CLUSTER_OPTIONS.json,
  junit: option<string>({
    flag: '--junit <file>',
    help: 'also write a JUnit XML file: a suite per server, a case per step',
  }),
  journalPath: CLUSTER_OPTIONS.journalPath,
};

/** The options a flag and a cluster file both set, the flag winning: they go to runMaintain as they are. */
export const MAINTAIN_SETTINGS = [
  'exec',
  'execTimeoutMs',
  'waitEmpty',
  'drainTimeoutMs',
  'onTimeout',
  'minServing',
  'pollMs',
  'healthyTimeoutMs',
  'restoreTimeoutMs',
  'rate',
  'longLived',
  'maxAgeMs',
  'intervalMs',
  'timeoutMs',
] as const satisfies ReadonlyArray<keyof ConfigValuesOf<typeof MAINTAIN_OPTIONS>>;
