/**
 * Durations as people type them: `250ms`, `5s`, `2m`, `1h`, always with a unit. A bare number is
 * refused (only `0` needs none): `--hold 5` once meant 5 ms and passed a drain test that held the
 * connections for nothing, where the person meant five seconds.
 */

export class DurationError extends Error {
  override name = 'DurationError';
}

/** One line for every CLI's --help, under the flags that take a duration. */
export const DURATION_HELP =
  'DURATION: a number and a unit: 250ms, 5s, 2m, 1h (a bare number is refused; 0 needs none).';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The unit a bare number was most likely meant in: small ones read as seconds, large ones as milliseconds. */
function guess(n: string): string {
  const v = Number(n);
  if (v <= 60) return `${n}s`;
  if (v >= 1000) return `${n}ms`;
  return `${n}ms or ${n}s`;
}

/**
 * Milliseconds from `250ms`, `5s`, `1.5s`, `2m`, `1h` or `0`. A number (from a YAML file) is read
 * like its text, so `hold: 10` is refused the same way `--hold 10` is.
 */
export function parseDuration(input: string | number): number {
  const text = String(input);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new DurationError(`invalid duration "${text}": expected e.g. 500ms, 5s, 2m`);
  const [, amount, unit] = m;
  if (unit === undefined) {
    if (Number(amount) === 0) return 0;
    throw new DurationError(`duration "${text}" has no unit: did you mean ${guess(amount!)}? (units: ms, s, m, h)`);
  }
  const value = Number(amount) * (UNITS[unit] ?? 1);
  if (!Number.isFinite(value)) throw new DurationError(`invalid duration "${text}"`);
  return Math.round(value);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
