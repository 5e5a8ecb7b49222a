/**
 * Quotes one value for a POSIX shell: single quotes, with `'` written as `'\''`.
 * Used wherever a string must pass through `sh -c` (command templates, ssh's remote shell).
 */
export function shellQuote(value: string): string {
  if (value.length > 0 && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
