/**
 * Every lvs-client failure is one of these classes, and `exitCodeFor` is the
 * one place that turns them into exit codes:
 *
 * | code | meaning                                                            |
 * |------|--------------------------------------------------------------------|
 * | 0    | success                                                            |
 * | 1    | internal error (a bug)                                             |
 * | 2    | bad command line (flags, HOST:PORT, durations)                     |
 * | 3    | could not connect: refused, unreachable, name not resolved         |
 * | 4    | timed out: connecting (`--connect-timeout`) or waiting for a reply |
 * | 5    | the connection dropped before every reply came (scripted mode)     |
 * | 6    | `listen` could not bind its port                                   |
 * | 7    | `probe` finished but some probes got no reply                      |
 */
import { exitCodeFrom, exitRule, ListenError, NamedError, UsageError } from '@lvs-drain-kit/common';

export { ListenError, UsageError };

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  connect: 3,
  timeout: 4,
  dropped: 5,
  listen: 6,
  probeFailures: 7,
} as const;

export type ExitName = keyof typeof EXIT;

/** For `--help`: the table above, in words. */
const EXIT_MEANING: Record<ExitName, string> = {
  ok: 'success',
  internal: 'internal error (a bug)',
  usage: 'bad command line',
  connect: 'could not connect (refused, unreachable, name not resolved)',
  timeout: 'timed out (connecting, or waiting for a reply in scripted mode)',
  dropped: 'connection dropped before every reply came (scripted mode)',
  listen: 'listen could not bind its port',
  probeFailures: 'probe: some probes got no reply',
};

/** `  CODE  meaning` lines for `--help`: every code, or the ones given. */
export function exitHelpLines(names: readonly ExitName[] = Object.keys(EXIT) as ExitName[]): string[] {
  return names.map((name) => `  ${EXIT[name]}  ${EXIT_MEANING[name]}`);
}

/** Why a connection attempt failed, in words an operator acts on. */
export type ConnectFailure = 'refused' | 'unreachable' | 'dns' | 'timeout' | 'other';

export class ConnectError extends NamedError {
  constructor(
    message: string,
    readonly reason: ConnectFailure,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A reply did not come within `--timeout`. */
export class ReplyTimeoutError extends NamedError {}

/** The peer closed or reset the connection while replies were still expected. */
export class ConnectionDroppedError extends NamedError {}

export class ProbeFailuresError extends NamedError {}

/** The one place where errors become exit codes. */
export function exitCodeFor(err: unknown): number {
  return exitCodeFrom(err, EXIT_RULES, EXIT.internal);
}

const EXIT_RULES = [
  exitRule(UsageError, EXIT.usage),
  exitRule(ConnectError, (err) => (err.reason === 'timeout' ? EXIT.timeout : EXIT.connect)),
  exitRule(ReplyTimeoutError, EXIT.timeout),
  exitRule(ConnectionDroppedError, EXIT.dropped),
  exitRule(ListenError, EXIT.listen),
  exitRule(ProbeFailuresError, EXIT.probeFailures),
];
