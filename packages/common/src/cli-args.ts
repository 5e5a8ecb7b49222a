/**
 * Flag parsers shared by every CLI: each turns a parse error into commander's
 * InvalidArgumentError, which the CLIs report as one line and exit code 2.
 */
import { InvalidArgumentError } from 'commander';
import { parseHostPort, parsePort } from './address.js';
import { parseDuration } from './duration.js';
import { parsePercent } from './percent.js';

export function asArgument<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

/** A whole number within `min..max` (bounds keep every load loop bounded, whatever is typed). */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    // One wording for text and for numbers out of range, as for ports.
    if (!(n >= min && n <= max))
      throw new InvalidArgumentError(`expected a whole number ${min}-${max}, got "${value}"`);
    return n;
  };
}

export const durationArgument = asArgument(parseDuration);
export const percentArgument = asArgument(parsePercent);
export const hostPortArgument = asArgument((value: string) => parseHostPort(value));
export const portArgument = (options: { allowZero?: boolean } = {}) =>
  asArgument((value: string) => parsePort(value, options));
