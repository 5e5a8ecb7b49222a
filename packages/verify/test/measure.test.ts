import { describe, expect, it } from 'vitest';
import { DisruptionTracker } from '../src/measure/disruptions.js';
import { LatencyRecorder } from '../src/measure/latency.js';
import { classifySocketError } from '../src/probe/classify.js';
import { hostOfLine } from '../src/probe/line.js';

describe('failure classification', () => {
  it("reads the server from a reply line: rs-server's, or a regex with (?<server>…)", () => {
    expect(hostOfLine("it's from the host: rs1", undefined)).toBe('rs1');
    expect(hostOfLine('HTTP/1.1 400 Bad Request', undefined)).toBeUndefined();
    expect(hostOfLine('+OK redis-2 ready', /^\+OK (?<server>\S+)/)).toBe('redis-2');
    expect(hostOfLine('-ERR', /^\+OK (?<server>\S+)/)).toBeUndefined();
  });

  it('maps socket errors: RST-like to reset, unreachable to timeout', () => {
    expect(classifySocketError('ECONNRESET')).toBe('reset');
    expect(classifySocketError('ECONNREFUSED')).toBe('reset');
    expect(classifySocketError('EPIPE')).toBe('reset');
    expect(classifySocketError('ETIMEDOUT')).toBe('timeout');
    expect(classifySocketError('EHOSTUNREACH')).toBe('timeout');
  });
});

describe('DisruptionTracker', () => {
  it('merges failing samples that touch into one interval and keeps them apart otherwise', () => {
    const t = new DisruptionTracker(150);
    t.sample(0, 10, []);
    t.sample(100, 110, [{ connection: 'old#1', class: 'reset' }]);
    t.sample(200, 210, [
      { connection: 'old#1', class: 'reset' },
      { connection: 'old#3', class: 'timeout' },
    ]);
    t.sample(1000, 1020, [{ connection: 'new#2', class: 'wrong-host' }]);
    expect(t.intervals()).toEqual([
      { startMs: 100, endMs: 210, durationMs: 110, connections: ['old#1', 'old#3'], classes: ['reset', 'timeout'] },
      { startMs: 1000, endMs: 1020, durationMs: 20, connections: ['new#2'], classes: ['wrong-host'] },
    ]);
  });
});

describe('LatencyRecorder', () => {
  it('summarises per server and phase in milliseconds', () => {
    const r = new LatencyRecorder();
    for (const ms of [1, 2, 3, 4, 100]) r.record('rs1', 'hold', 'rtt', ms);
    r.record('rs2', 'spread', 'connect', 0.5);
    const rep = r.report();
    expect(rep.rs1?.hold?.rtt).toMatchObject({ count: 5, min: 1, max: 100 });
    expect(rep.rs1?.hold?.rtt?.p50).toBeCloseTo(3, 1);
    expect(rep.rs2?.spread?.connect?.count).toBe(1);
    expect(rep.rs2?.hold).toBeUndefined();
  });
});
