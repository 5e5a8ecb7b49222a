import { describe, expect, it } from 'vitest';
import { LineFramer } from '../src/framer.js';

const push = (f: LineFramer, s: string | Buffer) => f.push(typeof s === 'string' ? Buffer.from(s) : s);

describe('LineFramer', () => {
  it('joins a line split across many chunks', () => {
    const f = new LineFramer();
    const all: string[] = [];
    for (const ch of 'hello world\n') all.push(...push(f, ch).lines);
    expect(all).toEqual(['hello world']);
    expect(f.pendingBytes).toBe(0);
  });

  it('splits several lines in one chunk and keeps the rest pending', () => {
    const f = new LineFramer();
    expect(push(f, 'a\nbb\n\nccc').lines).toEqual(['a', 'bb', '']);
    expect(f.pendingBytes).toBe(3);
    expect(push(f, 'c\n').lines).toEqual(['cccc']);
  });

  it('strips one trailing CR (CRLF clients), also when CR and LF arrive in different chunks', () => {
    const f = new LineFramer();
    expect(push(f, 'win\r\n').lines).toEqual(['win']);
    expect(push(f, 'split\r').lines).toEqual([]);
    expect(push(f, '\n').lines).toEqual(['split']);
    expect(push(f, 'two\r\r\n').lines).toEqual(['two\r']);
    expect(push(f, 'mid\rdle\n').lines).toEqual(['mid\rdle']);
  });

  it('decodes a multi-byte UTF-8 character split across chunks', () => {
    const f = new LineFramer();
    const bytes = Buffer.from('grüß 😀\n');
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...f.push(bytes.subarray(i, i + 1)).lines);
    expect(out).toEqual(['grüß 😀']);
  });

  it('accepts a line of exactly the limit, with LF or CRLF, in one chunk or many', () => {
    const line = 'x'.repeat(16);
    for (const term of ['\n', '\r\n']) {
      const f = new LineFramer({ maxLineBytes: 16 });
      expect(push(f, line + term)).toEqual({ lines: [line], overflow: false });
      const g = new LineFramer({ maxLineBytes: 16 });
      expect(push(g, line).overflow).toBe(false);
      expect(push(g, term)).toEqual({ lines: [line], overflow: false });
    }
  });

  it('rejects a line one byte over the limit, in one chunk or split', () => {
    const f = new LineFramer({ maxLineBytes: 16 });
    expect(push(f, `ok\n${'x'.repeat(17)}\nlater\n`)).toEqual({ lines: ['ok'], overflow: true });
    expect(f.overflowed).toBe(true);
    expect(push(f, 'more\n')).toEqual({ lines: [], overflow: true });

    const g = new LineFramer({ maxLineBytes: 16 });
    expect(push(g, 'x'.repeat(10)).overflow).toBe(false);
    expect(push(g, 'x'.repeat(7)).overflow).toBe(true);
    expect(g.pendingBytes).toBe(0);
  });

  it('counts a pending CR as a possible terminator but nothing more', () => {
    const f = new LineFramer({ maxLineBytes: 4 });
    expect(push(f, 'abcd\r').overflow).toBe(false);
    expect(push(f, '\n').lines).toEqual(['abcd']);
    const g = new LineFramer({ maxLineBytes: 4 });
    expect(push(g, 'abcde').overflow).toBe(true);
    const h = new LineFramer({ maxLineBytes: 4 });
    expect(push(h, 'abcd\r').overflow).toBe(false);
    expect(push(h, 'x').overflow).toBe(true);
  });

  it('never holds more than the limit + 1 bytes of an unfinished line', () => {
    const f = new LineFramer({ maxLineBytes: 1024 });
    let held = 0;
    for (let i = 0; i < 100 && !f.overflowed; i++) {
      push(f, Buffer.alloc(100, 0x61));
      held = Math.max(held, f.pendingBytes);
    }
    expect(f.overflowed).toBe(true);
    expect(held).toBeLessThanOrEqual(1025);
  });

  it('returns the last unterminated line at end of stream', () => {
    const f = new LineFramer();
    push(f, 'a\npartial');
    expect(f.end()).toBe('partial');
    expect(f.end()).toBeUndefined();
    const g = new LineFramer();
    push(g, 'cr\r');
    expect(g.end()).toBe('cr');
  });

  it('keeps NUL, control bytes and invalid UTF-8 as data', () => {
    const f = new LineFramer();
    const { lines } = f.push(Buffer.from([0x00, 0x1b, 0xff, 0xfe, 0x41, 0x0a]));
    expect(lines).toEqual(['\u0000\u001b\ufffd\ufffdA']);
  });

  it('does not keep a reference to a reused chunk', () => {
    const f = new LineFramer();
    const chunk = Buffer.from('abc');
    f.push(chunk);
    chunk.fill(0x7a);
    expect(push(f, '\n').lines).toEqual(['abc']);
  });

  it('rejects a non-positive limit', () => {
    expect(() => new LineFramer({ maxLineBytes: 0 })).toThrow(RangeError);
  });
});
