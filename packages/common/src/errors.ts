/**
 * The two failure kinds every lvs-drain-kit program tells apart from its own bugs: something outside is
 * missing, and a signal stopped the work. Each CLI maps them to its exit codes in its own errors.ts.
 */

/** Something outside us is missing or unreachable (a server, the VIP, the director, a permission). */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

/** The work was stopped by a signal (after putting back whatever it had changed). */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`);
  }
}
