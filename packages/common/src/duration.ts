/** Parses `250ms`, `5s`, `2m`, `1h` or a bare number of milliseconds; returns milliseconds. */

export class DurationError extends Error {
  override name = 'DurationError';
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new DurationError(`invalid duration "${text}": expected e.g. 500ms, 5s, 2m`);
  const value = Number(m[1]) * (UNITS[m[2] ?? 'ms'] ?? 1);
  if (!Number.isFinite(value)) throw new DurationError(`invalid duration "${text}"`);
  return Math.round(value);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
