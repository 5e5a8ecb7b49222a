/**
 * The two failure kinds every lvs-drain-kit program tells apart from its own bugs: something outside is
 * missing, and a signal stopped the work. Each CLI maps them to its exit codes in its own errors.ts.
 */

/** An error named for its class (`err.name` is `DriverError` for a DriverError): the base of every error here. */
export class NamedError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Something outside us is missing or unreachable (a server, the VIP, the director, a permission). */
export class EnvironmentError extends NamedError {}

/** The work was stopped by a signal (after putting back whatever it had changed). */
export class InterruptedError extends NamedError {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`);
  }
}

/** Bad flags or flag values: every CLI's usage error (each maps it to its own exit code). */
export class UsageError extends NamedError {}

/** A port could not be bound (in use, permission, address not here); `code` is the system's (EADDRINUSE …). */
export class ListenError extends NamedError {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** An error class, as `instanceof` sees it. */
// biome-ignore lint/suspicious/noExplicitAny: any constructor signature
type ErrorClass<E extends Error> = abstract new (...args: any[]) => E;

/** One row of a CLI's exit-code table: the errors of a class, and their code (or how to pick it). */
export type ExitRule = readonly [ErrorClass<Error>, number | ((err: Error) => number)];

/** Builds a rule keeping the class's type for its code picker. */
export function exitRule<E extends Error>(cls: ErrorClass<E>, code: number | ((err: E) => number)): ExitRule {
  return [cls, code as ExitRule[1]];
}

/** The exit code of `err` from a CLI's table: the first row whose class it is, else `otherwise`. */
export function exitCodeFrom(err: unknown, rules: readonly ExitRule[], otherwise: number): number {
  for (const [cls, code] of rules) {
    if (err instanceof cls) return typeof code === 'number' ? code : code(err);
  }
  return otherwise;
}

/**
 * A CLI's exit codes, each written once with its name, its number and what it means: `codes` for the
 * program (`EXIT.usage`), `help` for the `Exit codes:` table of --help, in the table's order. Written
 * apart, the two drift (a code added to one, a meaning left behind in the other).
 */
export function exitCodeTable<const T extends Readonly<Record<string, readonly [number, string]>>>(
  table: T,
): { codes: { readonly [K in keyof T]: T[K][0] }; help: ReadonlyArray<readonly [number, string]> } {
  const codes = Object.fromEntries(Object.entries(table).map(([name, [code]]) => [name, code]));
  return { codes: codes as { readonly [K in keyof T]: T[K][0] }, help: Object.values(table) };
}
