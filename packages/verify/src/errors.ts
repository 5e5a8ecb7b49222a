/**
 * Every failure lvs-verify can end with, and the one place they become exit codes.
 * 0 pass · 1 a check failed · 2 usage/config · 3 environment before any drain · 4 restore failed.
 */
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

/** Bad flags or flag values. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A config file that cannot be read or does not validate. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Something outside us is missing or unreachable before anything was drained (VIP, server, permission). */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

/** The driver could not talk to the director or the director refused. */
export class DriverError extends EnvironmentError {
  override name = 'DriverError';
  constructor(
    message: string,
    /** stderr of the command or the director's answer, for the report. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** A drain/restore command template ran and failed (non-zero exit, timeout). */
export class DrainCommandError extends DriverError {
  override name = 'DrainCommandError';
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(message, stderr);
  }
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

/** The run was stopped by a signal; the weight has been restored where needed. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`);
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError || err instanceof ConfigError) return EXIT.usage;
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
    return ['UsageError', 'ConfigError'].includes(report.error.type) ? EXIT.usage : EXIT.environment;
  }
  return report.verdict === 'pass' ? EXIT.pass : EXIT.checkFailed;
}
