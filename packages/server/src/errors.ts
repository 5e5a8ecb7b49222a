/** Errors of rs-server, and the one place where they become exit codes. */
import { exitCodeFrom, exitCodeTable, exitRule, ListenError, NamedError, UsageError } from '@lvs-drain-kit/common';
import { CommanderError } from 'commander';

/** Bad flags or values (exit code 2); the port could not be bound (exit code 3). */
export { ListenError, UsageError };

/** The control socket of a running rs-server cannot be reached, or answered nonsense: exit code 3. */
export class ControlUnreachableError extends NamedError {}

/** The running rs-server refused the request (it is stopping): exit code 4. */
export class ControlRefusedError extends NamedError {}

/** The real-server set-up cannot be changed here (not root, tool missing, IPv6 VIP …): exit code 3. */
export class RealServerSetupError extends NamedError {}

/** `realserver status`: the host is not set up as `realserver up` leaves it: exit code 4. */
export class NotSetUpError extends NamedError {}

/** A usage error of a command with its own exit code for it (`check`: keepalived must read "down"). */
export class CommandUsageError extends CommanderError {
  override name = 'CommandUsageError';
}

const EXIT_TABLE = exitCodeTable({
  ok: [0, 'done (serve: stopped cleanly after SIGTERM/SIGINT)'],
  internal: [1, 'internal error (a bug: the message says where)'],
  usage: [2, 'bad flags or values'],
  environment: [3, 'cannot listen, control socket unreachable, or the host cannot be set up (root, tools)'],
  refused: [4, 'ctl: refused (the server is stopping); realserver status: not set up'],
});

export const EXIT = EXIT_TABLE.codes;

/** Listed by --help. `check` has its own codes (keepalived's MISC_CHECK contract), listed with it. */
export const EXIT_HELP: ReadonlyArray<readonly [number, string]> = [
  ...EXIT_TABLE.help,
  [130, 'serve: a second SIGINT (143: a second SIGTERM) ended it at once'],
];

const EXIT_RULES = [
  exitRule(CommandUsageError, (err) => err.exitCode),
  // Commander's own (it printed the message or the help already): --help and --version are not errors.
  exitRule(CommanderError, (err) => (err.exitCode === 0 ? EXIT.ok : EXIT.usage)),
  exitRule(UsageError, EXIT.usage),
  exitRule(ListenError, EXIT.environment),
  exitRule(ControlUnreachableError, EXIT.environment),
  exitRule(RealServerSetupError, EXIT.environment),
  exitRule(ControlRefusedError, EXIT.refused),
  exitRule(NotSetUpError, EXIT.refused),
];

export function exitCodeFor(err: unknown): number {
  return exitCodeFrom(err, EXIT_RULES, EXIT.internal);
}
