/**
 * Every failure lvs-verify can end with, and the one place they become exit codes.
 * 0 pass · 1 a check failed (the load balancer did something wrong) · 2 usage/config · 3 cannot be
 * tested as asked (environment before any drain, or a check that observed nothing) · 4 restore failed,
 * or someone else changed the drained weight during the run (not written over).
 * The classes a driver throws live with the drivers; they are mapped here.
 */
import {
  EnvironmentError,
  exitCodeFrom,
  exitCodeTable,
  exitRule,
  InterruptedError,
  NamedError,
  UsageError,
} from '@lvs-drain-kit/common';
import { DrainCommandError, DriverError, DriverSpecError } from '@lvs-drain-kit/drivers';

export { DrainCommandError, DriverError, DriverSpecError, EnvironmentError, InterruptedError, UsageError };

const EXIT_TABLE = exitCodeTable({
  pass: [0, 'every check passed (warn included)'],
  checkFailed: [1, 'a check failed (or an error after the drain; the weight was restored)'],
  usage: [2, 'usage or config error'],
  environment: [
    3,
    'not tested as asked: environment error before any drain (unreachable, refused, no spread), or a check observed nothing',
  ],
  restoreFailed: [
    4,
    'the restore failed, or someone else changed the drained weight during the run (left as they set it); see the command',
  ],
  // Interrupted (SIGINT/SIGTERM) after the weight was put back: the shell's 128 + signal.
  sigint: [130, 'interrupted by SIGINT; the weight was restored first'],
  sigterm: [143, 'interrupted by SIGTERM; the weight was restored first'],
});

export const EXIT = EXIT_TABLE.codes;

/** For --help: every exit code, in words (drain-test's; other commands list theirs). */
export const EXIT_HELP = EXIT_TABLE.help;

/** A config file that cannot be read or does not validate. */
export class ConfigError extends NamedError {}

/** The original weight could not be put back: the loudest outcome. */
export class RestoreError extends NamedError {
  constructor(
    message: string,
    /** What to run by hand on the director. */
    readonly manualCommand: string,
  ) {
    super(message);
  }
}

const EXIT_RULES = [
  exitRule(UsageError, EXIT.usage),
  exitRule(ConfigError, EXIT.usage),
  exitRule(DriverSpecError, EXIT.usage),
  exitRule(RestoreError, EXIT.restoreFailed),
  exitRule(InterruptedError, (err) => (err.signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm)),
  exitRule(EnvironmentError, EXIT.environment),
];

export function exitCodeFor(err: unknown): number {
  return exitCodeFrom(err, EXIT_RULES, EXIT.checkFailed);
}

/** The exit code of a finished run, from its report (the same rules as `exitCodeFor`). */
export function exitCodeForReport(report: {
  verdict: 'pass' | 'fail' | 'inconclusive' | 'error';
  error?: { type: string; beforeDrain: boolean; signal?: string };
  restore: { attempted: boolean; restored: boolean };
}): number {
  if (report.restore.attempted && !report.restore.restored) return EXIT.restoreFailed;
  if (report.error?.type === 'RestoreError') return EXIT.restoreFailed;
  if (report.error?.type === 'InterruptedError') return report.error.signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
  // Someone else's weight on the drained server: left as it is, a person decides — never a FAIL.
  if (report.error?.type === 'WeightDriftError') return EXIT.restoreFailed;
  if (report.verdict === 'error' && report.error?.beforeDrain) {
    return ['UsageError', 'ConfigError', 'DriverSpecError'].includes(report.error.type) ? EXIT.usage : EXIT.environment;
  }
  if (report.verdict === 'inconclusive') return EXIT.environment;
  return report.verdict === 'pass' ? EXIT.pass : EXIT.checkFailed;
}

/**
 * The exit code of `maintain`, `drain` and `undrain` from their report: a server this run left at weight
 * 0 (its restore failed, or it did not come back healthy) or could not put back because someone changed
 * its weight is 4 — an operator must look at it; otherwise the same rules as drain-test.
 */
export function exitCodeForMaintain(report: {
  verdict: 'pass' | 'fail' | 'error';
  error?: { type: string; beforeDrain: boolean; signal?: string };
  servers: ReadonlyArray<{ restore: { attempted: boolean; restored: boolean; leftDrained?: boolean } }>;
}): number {
  if (report.servers.some((s) => s.restore.leftDrained || (s.restore.attempted && !s.restore.restored))) {
    return EXIT.restoreFailed;
  }
  return exitCodeForReport({ ...report, restore: { attempted: false, restored: false } });
}

/** For --help of maintain: what each exit code means there. */
export const MAINTAIN_EXIT_HELP: ReadonlyArray<readonly [number, string]> = [
  [EXIT.pass, 'every server maintained and back, and no request failed'],
  [
    EXIT.checkFailed,
    'a step failed (not empty in time, the work, new connections did not return) or requests failed; every server is back',
  ],
  [EXIT.usage, 'usage or config error'],
  [EXIT.environment, 'refused before anything was drained (capacity, --min-serving, unreachable, unhealthy service)'],
  [
    EXIT.restoreFailed,
    'a server is still drained (not healthy after the work, or its restore failed) or was changed by someone else',
  ],
  [EXIT.sigint, 'interrupted by SIGINT; the drained server was put back first'],
  [EXIT.sigterm, 'interrupted by SIGTERM; the drained server was put back first'],
];
