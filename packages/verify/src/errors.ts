/**
 * Every failure lvs-verify can end with, and the one place they become exit codes.
 * 0 pass · 1 a check failed · 2 usage/config · 3 environment before any drain · 4 restore failed.
 * The classes a driver throws live with the drivers; they are mapped here.
 */
import { EnvironmentError, InterruptedError } from '@lvs-drain-kit/common';
import { DrainCommandError, DriverError, DriverSpecError } from '@lvs-drain-kit/drivers';

export { DrainCommandError, DriverError, DriverSpecError, EnvironmentError, InterruptedError };

export const EXIT = {
  pass: 0,
  checkFailed: 1,
  usage: 2,
  environment: 3,
  restoreFailed: 4,
  /** Interrupted (SIGINT/SIGTERM) after the weight was put back: the shell's 128 + signal. */
  sigint: 130,
  sigterm: 143,
} as const;

/** For --help: every exit code, in words. */
export const EXIT_HELP: ReadonlyArray<readonly [number, string]> = [
  [EXIT.pass, 'every check passed (warn included)'],
  [EXIT.checkFailed, 'a check failed (or an error after the drain; the weight was restored)'],
  [EXIT.usage, 'usage or config error'],
  [EXIT.environment, 'cannot test as asked, before anything was drained (unreachable, refused, no spread)'],
  [EXIT.restoreFailed, 'the restore failed, or someone else changed the weight meanwhile (see the command)'],
  [EXIT.sigint, 'interrupted by SIGINT; the weight was restored first'],
  [EXIT.sigterm, 'interrupted by SIGTERM; the weight was restored first'],
];

/** Bad flags or flag values. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A config file that cannot be read or does not validate. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The original weight could not be put back: the loudest outcome. */
export class RestoreError extends Error {
  override name = 'RestoreError';
  constructor(
    message: string,
    /** What to run by hand on the director. */
    readonly manualCommand: string,
  ) {
    super(message);
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof DriverSpecError) return EXIT.usage;
  if (err instanceof RestoreError) return EXIT.restoreFailed;
  if (err instanceof InterruptedError) return err.signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
  if (err instanceof EnvironmentError) return EXIT.environment;
  return EXIT.checkFailed;
}

/** The exit code of a finished run, from its report (the same rules as `exitCodeFor`). */
export function exitCodeForReport(report: {
  verdict: 'pass' | 'fail' | 'error';
  error?: { type: string; beforeDrain: boolean; signal?: string };
  restore: { attempted: boolean; restored: boolean };
}): number {
  if (report.restore.attempted && !report.restore.restored) return EXIT.restoreFailed;
  if (report.error?.type === 'RestoreError') return EXIT.restoreFailed;
  if (report.error?.type === 'InterruptedError') return report.error.signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
  if (report.verdict === 'error' && report.error?.beforeDrain) {
    return ['UsageError', 'ConfigError', 'DriverSpecError'].includes(report.error.type) ? EXIT.usage : EXIT.environment;
  }
  return report.verdict === 'pass' ? EXIT.pass : EXIT.checkFailed;
}
