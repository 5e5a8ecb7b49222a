import { escapeControl, parseReply } from '@lvs-drain-kit/common';
import type { Colors } from './colors.js';

/** S: sent by us, R: received, *: a note from lvs-client itself (connected, dropped...). */
export type Direction = 'S' | 'R' | '*';

export interface TranscriptEntry {
  /** Milliseconds since the epoch. */
  time: number;
  direction: Direction;
  /** The line as sent or received, without its terminator; may hold control characters. */
  text: string;
}

/** `HH:MM:SS.mmm` in local time: what an operator compares with a wall clock during a drain. */
export function formatTime(time: number): string {
  const d = new Date(time);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/**
 * One transcript line, e.g. `17:42:01.125 R: it's from the host: rs1`.
 * Received text is escaped so a peer cannot drive the terminal; a reply's
 * server name is highlighted.
 */
export function formatEntry(entry: TranscriptEntry, colors?: Colors): string {
  const text = escapeControl(entry.text);
  const time = formatTime(entry.time);
  if (!colors) return `${time} ${entry.direction}: ${text}`;
  const c = colors;
  const stamp = c.dim(time);
  switch (entry.direction) {
    case 'S':
      return `${stamp} ${c.blue('S:')} ${text}`;
    case 'R': {
      const server = parseReply(entry.text);
      if (server === undefined) return `${stamp} ${c.green('R:')} ${text}`;
      const prefix = text.slice(0, text.length - escapeControl(server).length);
      return `${stamp} ${c.green('R:')} ${prefix}${c.bold(c.cyan(escapeControl(server)))}`;
    }
    default:
      return `${stamp} ${c.yellow('*:')} ${c.yellow(text)}`;
  }
}

/** Everything that happened in a session, kept across reconnects so it can be saved. */
export class Transcript {
  readonly entries: TranscriptEntry[] = [];
  /** Bounded so a long `/repeat` cannot eat the memory of a session left open for days. */
  readonly maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  add(direction: Direction, text: string, time = Date.now()): TranscriptEntry {
    const entry = { time, direction, text };
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries) this.entries.splice(0, this.entries.length - this.maxEntries);
    return entry;
  }

  /** Plain text for `/save`: a header line, then one line per entry, no colours. */
  toText(header: string): string {
    const lines = [`# ${header}`, ...this.entries.map((e) => formatEntry(e))];
    return `${lines.join('\n')}\n`;
  }
}
