import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../src/duration.js';
import { escapeControl } from '../src/escape.js';

describe('durations', () => {
  it('parses units and bare milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('300')).toBe(300);
  });
  it.each(['', 's', '-1s', '5 days', '1e3'])('rejects %j', (t) => {
    expect(() => parseDuration(t)).toThrow(DurationError);
  });
  it('formats for people', () => {
    expect(formatDuration(12)).toBe('12ms');
    expect(formatDuration(1234)).toBe('1.23s');
    expect(formatDuration(90_000)).toBe('1m30s');
  });
});

describe('escapeControl', () => {
  it('makes terminal escape sequences visible', () => {
    expect(escapeControl('\u001b[2Jred\u0007')).toBe('\\x1b[2Jred\\x07');
    expect(escapeControl('a\tb\r\n\u0000\u009b')).toBe('a\\tb\\r\\n\\x00\\x9b');
    expect(escapeControl('plain ü')).toBe('plain ü');
  });
});
