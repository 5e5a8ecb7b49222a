import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from '../src/shell-quote.js';

describe('shell quoting', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('172.16.0.114:2100')).toBe('172.16.0.114:2100');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellJoin(['ipvsadm', '-e', '-t', '[::1]:80'])).toBe("ipvsadm -e -t '[::1]:80'");
  });
});
