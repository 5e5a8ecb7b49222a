import { describe, expect, it } from 'vitest';
import { AddressError, formatHostPort, parseHostPort, parsePort } from '../src/address.js';

describe('parseHostPort', () => {
  it.each([
    ['172.16.0.113:2100', { host: '172.16.0.113', port: 2100, family: 4 }],
    ['[::1]:2100', { host: '::1', port: 2100, family: 6 }],
    ['localhost:80', { host: 'localhost', port: 80, family: 0 }],
    ['lb-1.example.org:65535', { host: 'lb-1.example.org', port: 65535, family: 0 }],
    [' 127.0.0.1:1 ', { host: '127.0.0.1', port: 1, family: 4 }],
  ])('%s', (text, want) => {
    expect(parseHostPort(text)).toEqual(want);
  });

  it('uses the default port when none is given', () => {
    expect(parseHostPort('10.0.0.1', 2100)).toEqual({ host: '10.0.0.1', port: 2100, family: 4 });
    expect(parseHostPort('::1', 2100)).toEqual({ host: '::1', port: 2100, family: 6 });
    expect(parseHostPort('[::1]', 2100).port).toBe(2100);
  });

  it.each([
    '',
    '1.2.3.4',
    '1.2.3.4:',
    '1.2.3.4:0',
    '1.2.3.4:65536',
    '1.2.3.4:80x',
    '::1:2100',
    '[::1',
    '[::1]2100',
    '[1.2.3.4]:80',
    ':2100',
    'bad host:80',
    'a_b:80',
  ])('rejects %j with a one-line AddressError', (text) => {
    expect(() => parseHostPort(text)).toThrow(AddressError);
    try {
      parseHostPort(text);
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('formats IPv6 in brackets', () => {
    expect(formatHostPort({ host: '::1', port: 2100 })).toBe('[::1]:2100');
    expect(formatHostPort({ host: '127.0.0.1', port: 2100 })).toBe('127.0.0.1:2100');
  });

  it('parses ports', () => {
    expect(parsePort('2100')).toBe(2100);
    expect(parsePort('0', { allowZero: true })).toBe(0);
    expect(() => parsePort('0')).toThrow(AddressError);
    expect(() => parsePort('-1')).toThrow(AddressError);
  });
});
