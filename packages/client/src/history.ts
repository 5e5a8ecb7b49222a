import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** `~/.lvs_client_history`: one line per entry, oldest first, like a shell's. */
export function defaultHistoryFile(): string {
  return join(homedir(), '.lvs_client_history');
}

export const HISTORY_SIZE = 1000;

/** Loads a history file into readline's order (newest first); a missing or unreadable file is an empty history. */
export function loadHistory(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .slice(-HISTORY_SIZE)
    .reverse();
}

/**
 * Writes the history (readline's order, newest first). Failing to write it
 * must not break a session, so errors are returned, not thrown.
 */
export function saveHistory(file: string, history: readonly string[]): Error | undefined {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const lines = history.slice(0, HISTORY_SIZE).reverse();
    // 0600: typed lines may hold things others should not read.
    writeFileSync(file, lines.length > 0 ? `${lines.join('\n')}\n` : '', { mode: 0o600 });
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
