import { escapeControl, parseReply } from '@lvs-drain-kit/common';

/**
 * Counters of one session (kept across reconnects), and the round-trip time:
 * the rs-server answers each line with one line, in order, so a received
 * line is matched with the oldest sent line that has no answer yet.
 */
export class SessionStats {
  /** Replies per server name, in order of first reply. */
  readonly perServer = new Map<string, number>();
  otherLines = 0;
  bytesSent = 0;
  bytesReceived = 0;
  linesSent = 0;
  linesReceived = 0;
  lastRttMs: number | undefined;
  lastServer: string | undefined;
  #pending: number[] = [];

  sent(bytes: number, now: number): void {
    this.linesSent++;
    this.bytesSent += bytes;
    // Bounded: a server that never answers must not grow this forever.
    if (this.#pending.length < 10_000) this.#pending.push(now);
  }

  receivedBytes(bytes: number): void {
    this.bytesReceived += bytes;
  }

  /** Returns the server name when the line is a reply. */
  receivedLine(line: string, now: number): string | undefined {
    this.linesReceived++;
    const sentAt = this.#pending.shift();
    if (sentAt !== undefined) this.lastRttMs = now - sentAt;
    const server = parseReply(line);
    if (server === undefined) {
      this.otherLines++;
      return undefined;
    }
    this.lastServer = server;
    this.perServer.set(server, (this.perServer.get(server) ?? 0) + 1);
    return server;
  }

  /** A new connection: answers still owed by the old one will never come. */
  connectionReset(): void {
    this.#pending = [];
  }

  get replies(): number {
    let n = 0;
    for (const c of this.perServer.values()) n += c;
    return n;
  }
}

/** The `/stats` text: one line per server with its share, then the totals. */
export function formatStats(stats: SessionStats): string[] {
  const total = stats.replies;
  if (total === 0 && stats.otherLines === 0) return ['no replies yet'];
  const rows = [...stats.perServer].map(([server, count]) => [escapeControl(server), count] as const);
  const width = Math.max(...rows.map(([s]) => s.length), 6);
  const lines = rows.map(([server, count]) => {
    const share = total > 0 ? ((100 * count) / total).toFixed(1) : '0.0';
    return `${server.padEnd(width)}  ${String(count).padStart(6)}  ${share.padStart(5)}%`;
  });
  lines.push(`${'total'.padEnd(width)}  ${String(total).padStart(6)} replies, ${stats.otherLines} other lines`);
  return lines;
}
