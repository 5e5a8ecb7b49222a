import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../src/duration.js';
import { escapeControl } from '../src/escape.js';
import { PercentError, parsePercent } from '../src/percent.js';

describe('durations', () => {
  it('parses units; zero needs none', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration(0)).toBe(0);
  });
  it.each(['', 's', '-1s', '5 days', '1e3'])('rejects %j', (t) => {
    expect(() => parseDuration(t)).toThrow(DurationError);
  });
  it('refuses a number without a unit and says what it probably meant', () => {
    expect(() => parseDuration('5')).toThrow('duration "5" has no unit: did you mean 5s? (units: ms, s, m, h)');
    expect(() => parseDuration(10)).toThrow('did you mean 10s?');
    expect(() => parseDuration('2000')).toThrow('did you mean 2000ms?');
    expect(() => parseDuration('300')).toThrow('did you mean 300ms or 300s?');
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

describe('percentages', () => {
  it('reads 5% as 0.05 and wants the sign', () => {
    expect(parsePercent('5%')).toBe(0.05);
    expect(parsePercent('0.5%')).toBeCloseTo(0.005, 10);
    expect(() => parsePercent('5')).toThrow('percentage "5" has no % sign: did you mean 5%?');
    expect(() => parsePercent('0%')).toThrow(PercentError);
    expect(() => parsePercent('100%')).toThrow(/below 100%/);
    expect(() => parsePercent('lots')).toThrow(/invalid percentage/);
  });
});
