/**
 * What stopped a run, as every report (drain-test's, maintain's, drain's and undrain's) writes it in its
 * `error`: the error's class name decides the exit code (errors.ts), so it is written the same way everywhere.
 */
import type { RunError } from './types.js';

export function runErrorOf(err: unknown, beforeDrain: boolean): RunError {
  const e = err instanceof Error ? err : new Error(String(err));
  const error: RunError = { type: e.name, message: e.message, beforeDrain };
  // A failed command's stderr (DrainCommandError) and a signal's name (InterruptedError), where the error has them.
  const detail = (e as { detail?: unknown }).detail;
  if (typeof detail === 'string' && detail.length > 0) error.detail = detail;
  if (e.name === 'InterruptedError') error.signal = (e as { signal?: string }).signal;
  return error;
}
