import { describe, expect, it } from 'vitest';
import { makeColors, wantColor } from '../src/colors.js';
import { formatEntry, formatTime, Transcript } from '../src/transcript.js';

const at = new Date(2026, 10, 25, 9, 5, 7, 42).getTime();

describe('transcript formatting', () => {
  it('stamps local time with milliseconds', () => {
    expect(formatTime(at)).toBe('09:05:07.042');
  });

  it('marks sent, received and notes', () => {
    expect(formatEntry({ time: at, direction: 'S', text: 'hello' })).toBe('09:05:07.042 S: hello');
    expect(formatEntry({ time: at, direction: 'R', text: "it's from the host: rs1" })).toBe(
      "09:05:07.042 R: it's from the host: rs1",
    );
    expect(formatEntry({ time: at, direction: '*', text: 'connection closed by peer' })).toBe(
      '09:05:07.042 *: connection closed by peer',
    );
  });

  it('escapes control characters a peer sent, so they cannot drive the terminal', () => {
    expect(formatEntry({ time: at, direction: 'R', text: 'a\u001b[2Jb\u0007' })).toBe(
      '09:05:07.042 R: a\\x1b[2Jb\\x07',
    );
  });

  it('highlights the server name of a reply when colours are on', () => {
    const c = makeColors(true);
    const line = formatEntry({ time: at, direction: 'R', text: "it's from the host: rs2" }, c);
    expect(line).toContain(c.bold(c.cyan('rs2')));
    expect(line).toContain("it's from the host: ");
    // Without colours there is no escape sequence at all.
    const plain = formatEntry({ time: at, direction: 'R', text: "it's from the host: rs2" }, makeColors(false));
    expect(plain).toBe("09:05:07.042 R: it's from the host: rs2");
  });
});

describe('Transcript', () => {
  it('renders as plain text with a header', () => {
    const t = new Transcript();
    t.add('S', 'hello', at);
    t.add('R', "it's from the host: rs1", at + 1);
    expect(t.toText('session')).toBe("# session\n09:05:07.042 S: hello\n09:05:07.043 R: it's from the host: rs1\n");
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const t = new Transcript({ maxEntries: 3 });
    for (let i = 0; i < 5; i++) t.add('S', `l${i}`, at);
    expect(t.entries.map((e) => e.text)).toEqual(['l2', 'l3', 'l4']);
  });
});

describe('wantColor', () => {
  it('colours a terminal unless NO_COLOR or --no-color says otherwise', () => {
    expect(wantColor({ isTTY: true, env: {} })).toBe(true);
    expect(wantColor({ isTTY: false, env: {} })).toBe(false);
    expect(wantColor({ isTTY: undefined, env: {} })).toBe(false);
    expect(wantColor({ isTTY: true, env: { NO_COLOR: '1' } })).toBe(false);
    expect(wantColor({ isTTY: true, env: { NO_COLOR: '' } })).toBe(true);
    expect(wantColor({ isTTY: true, flag: false, env: {} })).toBe(false);
  });
});
