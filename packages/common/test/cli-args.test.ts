import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { durationArgument, hostPortArgument, portArgument, wholeNumber } from '../src/cli-args.js';

const message = (parse: (v: string) => unknown, value: string) => {
  try {
    parse(value);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error(`"${value}" was accepted`);
};

describe('flag parsers shared by every CLI', () => {
  it('wholeNumber: one wording for text and for numbers out of range', () => {
    const n = wholeNumber(1, 100);
    expect(n('7')).toBe(7);
    expect(n(' 100 ')).toBe(100);
    expect(message(n, 'abc')).toBe('expected a whole number 1-100, got "abc"');
    expect(message(n, '0')).toBe('expected a whole number 1-100, got "0"');
    expect(message(n, '101')).toBe('expected a whole number 1-100, got "101"');
    expect(message(n, '-1')).toBe('expected a whole number 1-100, got "-1"');
  });

  it('portArgument: one wording for text and for numbers out of range', () => {
    const port = portArgument({ allowZero: true });
    expect(port('0')).toBe(0);
    expect(message(port, 'abc')).toBe('invalid port "abc": expected a number 0-65535');
    expect(message(port, '99999')).toBe('invalid port "99999": expected a number 0-65535');
    expect(message(portArgument(), 'abc')).toBe('invalid port "abc": expected a number 1-65535');
    expect(message(portArgument(), '99999')).toBe('invalid port "99999": expected a number 1-65535');
  });

  it('durations and addresses become InvalidArgumentError with the parser’s message', () => {
    expect(durationArgument('2s')).toBe(2000);
    expect(message(durationArgument, 'soon')).toContain('invalid duration "soon"');
    expect(hostPortArgument('[::1]:80')).toEqual({ host: '::1', port: 80, family: 6 });
    expect(message(hostPortArgument, '1.2.3.4')).toContain('missing ":PORT"');
  });
});
