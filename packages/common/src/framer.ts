/**
 * Splits a byte stream into lines. Works on bytes, not strings, so that a
 * multi-byte UTF-8 character split across chunks is decoded whole and the
 * byte limit is exact.
 *
 * A line ends with `\n`; one trailing `\r` is stripped (Windows clients send
 * CRLF). The limit counts the bytes of a line without its terminator; the
 * framer never holds more than `maxLineBytes + 1` bytes of an unfinished line.
 */

export interface LineFramerOptions {
  /** Longest accepted line in bytes, terminator excluded. Default 65536. */
  maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export type PushResult =
  | { lines: string[]; overflow: false }
  /** `lines` are the complete lines that came before the over-long one. */
  | { lines: string[]; overflow: true };

const LF = 0x0a;
const CR = 0x0d;

export class LineFramer {
  readonly maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #overflowed = false;

  constructor(options: LineFramerOptions = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${max}`);
    this.maxLineBytes = max;
  }

  /** Bytes of an unfinished line held right now. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** True once a line went over the limit; the framer then ignores input. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  push(chunk: Uint8Array): PushResult {
    const lines: string[] = [];
    if (this.#overflowed) return { lines, overflow: true };
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    let nl = buf.indexOf(LF, start);
    while (nl !== -1) {
      let line: string;
      if (this.#pendingBytes === 0) {
        let end = nl;
        if (end > start && buf[end - 1] === CR) end--;
        if (end - start > this.maxLineBytes) return this.#overflow(lines);
        line = buf.toString('utf8', start, end);
      } else {
        this.#pending.push(buf.subarray(start, nl));
        const whole = Buffer.concat(this.#pending, this.#pendingBytes + (nl - start));
        this.#pending = [];
        this.#pendingBytes = 0;
        let end = whole.length;
        if (end > 0 && whole[end - 1] === CR) end--;
        if (end > this.maxLineBytes) return this.#overflow(lines);
        line = whole.toString('utf8', 0, end);
      }
      lines.push(line);
      start = nl + 1;
      nl = buf.indexOf(LF, start);
    }
    if (start < buf.length) {
      const rest = buf.length - start;
      const total = this.#pendingBytes + rest;
      // One byte of slack: a line of exactly maxLineBytes may still be waiting for its "\r\n".
      if (total > this.maxLineBytes + 1 || (total === this.maxLineBytes + 1 && buf[buf.length - 1] !== CR)) {
        return this.#overflow(lines);
      }
      // Copy: the caller's chunk may be a pooled buffer that is reused.
      this.#pending.push(Buffer.from(buf.subarray(start)));
      this.#pendingBytes = total;
    }
    return { lines, overflow: false };
  }

  /**
   * The stream ended: returns the last line if it had no terminator
   * (a trailing "\r" alone is stripped too), or undefined.
   */
  end(): string | undefined {
    if (this.#overflowed || this.#pendingBytes === 0) return undefined;
    const whole = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    let end = whole.length;
    if (whole[end - 1] === CR) end--;
    if (end > this.maxLineBytes) return undefined;
    return whole.toString('utf8', 0, end);
  }

  #overflow(lines: string[]): PushResult {
    this.#overflowed = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    return { lines, overflow: true };
  }
}
