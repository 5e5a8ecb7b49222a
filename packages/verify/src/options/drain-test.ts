/**
 * The options of `lvs-verify drain-test`, in --help order. The keys are those of DrainTestOptions where an
 * option sets one; a cluster file uses the same names (or `config.key`). The driver's own flags come from
 * the drivers' table (@lvs-drain-kit/drivers) and are listed after `--driver`; the options every
 * cluster command shares are CLUSTER_OPTIONS' entries.
 */
import { asArgument, type HostPort, wholeNumber } from '@lvs-drain-kit/common';
import { LAB_ENGINES, MISBEHAVIOURS } from '@lvs-drain-kit/lab';
import { samplesForLeak } from '../measure/power.js';
import { DEFAULTS, MIN_HOLD_INTERVALS } from '../options.js';
import type { ProbeKind } from '../probe/connection.js';
import { DEFAULT_EXPECT_STATUS, parseExpectStatus } from '../probe/expect-status.js';
import { IDENTITY_MODES, type IdentityMode } from '../probe/identity.js';
import { identityRegex, PROBE_KINDS } from '../probe/spec.js';
import { CLUSTER_OPTIONS } from './cluster.js';
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

/** A text option checked by `check` on the command line and in a file alike (the text is kept). */
function checkedText(flag: string, help: string, check: (text: string) => unknown, defaultText?: string) {
  return option<string, string>({
    flag,
    help,
    parse: asArgument((text: string) => {
      check(text);
      return text;
    }),
    ...(defaultText !== undefined ? { defaultText } : {}),
    config: {
      schema: (z) =>
        z.string().superRefine((text, ctx) => {
          try {
            check(text);
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: (err as Error).message });
          }
        }),
    },
  });
}

const text = (flag: string, help: string) =>
  option<string, string>({ flag, help, config: { schema: (z) => z.string().min(1) } });

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
    help: `zero setup: start a lab (builtin by default; ${LAB_ENGINES.filter((e) => e !== 'builtin').join(', ')} need root), test, stop it`,
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
  probe: option<ProbeKind, ProbeKind>({
    flag: '--probe <kind>',
    help: "how to talk to the service: line (rs-server's protocol, or any line service), http, tcp",
    choices: PROBE_KINDS,
    defaultText: 'line',
    config: { schema: (z) => z.enum(PROBE_KINDS as [ProbeKind, ...ProbeKind[]]) },
  }),
  identity: option<IdentityMode, IdentityMode>({
    flag: '--identity <source>',
    help: "where a connection's server is known from: the director's connection table, the service's answers, or both (cross-checked)",
    choices: IDENTITY_MODES,
    defaultText: 'both where both exist',
    config: { schema: (z) => z.enum(IDENTITY_MODES as [IdentityMode, ...IdentityMode[]]) },
  }),
  send: text('--send <text>', 'line, tcp: what each exchange sends (\\r \\n \\t \\xHH read as escapes)'),
  expect: checkedText('--expect <regex>', 'tcp: what the answer to --send must match', (t) => new RegExp(t)),
  identityRegex: checkedText(
    '--identity-regex <regex>',
    'line, http: (?<server>…) reads the server from a reply line or the body',
    (t) => identityRegex(t),
  ),
  path: text('--path <path>', 'http: what each exchange GETs (default /)'),
  expectStatus: checkedText(
    '--expect-status <list>',
    'http: accepted statuses, e.g. 200,301-302,2xx',
    parseExpectStatus,
    DEFAULT_EXPECT_STATUS,
  ),
  identityHeader: text('--identity-header <name>', 'http: the response header naming the server, e.g. X-Served-By'),
  tls: flag('--tls', 'http: HTTPS'),
  servername: text('--servername <name>', 'http --tls: SNI, certificate name and Host header (default the VIP)'),
  ca: text('--ca <file>', 'http --tls: PEM certificates to trust instead of the system ones'),
  insecure: flag('--insecure', 'http --tls: accept any certificate'),
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
  timeoutMs: CLUSTER_OPTIONS.timeoutMs,
  restoreTimeoutMs: CLUSTER_OPTIONS.restoreTimeoutMs,
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
  journalPath: CLUSTER_OPTIONS.journalPath,
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
  'sources',
  'sourceRange',
  'strict',
  'identity',
] as const satisfies ReadonlyArray<keyof ConfigValues>;

/** The probe's options, flag winning over file like RUN_SETTINGS; together they make `probe` (probe/spec.ts). */
export const PROBE_SETTINGS = [
  'probe',
  'send',
  'expect',
  'identityRegex',
  'path',
  'expectStatus',
  'identityHeader',
  'tls',
  'servername',
  'ca',
  'insecure',
] as const satisfies ReadonlyArray<keyof ConfigValues>;
