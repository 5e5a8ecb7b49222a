/**
 * What a driver or a transport throws. lvs-verify maps them to exit codes in its own errors.ts:
 * DriverError (and DrainCommandError, UnsupportedSetupError) are environment errors (exit 3 before a drain), DriverSpecError
 * is a usage error (exit 2).
 */
import { EnvironmentError, NamedError } from '@lvs-drain-kit/common';

/** The driver could not talk to the director or the director refused. */
export class DriverError extends EnvironmentError {
  constructor(
    message: string,
    /** stderr of the command or the director's answer, for the report. */
    readonly detail?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The director is set up in a way the driver does not fully understand (a forwarding method or tunnel it
 * cannot repeat, a chain with other rules, two servers on one address): it refuses before changing
 * anything, in one line that says what to do. Exit 3, like any setup a run cannot test.
 */
export class UnsupportedSetupError extends DriverError {}

/** A drain/restore command template ran and failed (non-zero exit, timeout). */
export class DrainCommandError extends DriverError {
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(message, stderr);
  }
}

/** A driver spec that cannot work as given: a missing or invalid setting, an unknown kind, no terminal. */
export class DriverSpecError extends NamedError {}

/** The director VM's serial command channel did not answer. */
export class SerialTransportError extends DriverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
  }
}
