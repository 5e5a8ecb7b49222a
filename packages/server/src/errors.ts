/** Bad flags or values: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The port could not be bound (in use, permission, address not here): exit code 3. */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  listen: 3,
} as const;

/** The one place where errors become exit codes. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof ListenError) return EXIT.listen;
  return EXIT.internal;
}
