import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from '../src/latency.js';
import { formatStats, SessionStats } from '../src/stats.js';

describe('SessionStats', () => {
  it('counts replies per server and other lines', () => {
    const s = new SessionStats();
    for (const [i, name] of ['rs1', 'rs2', 'rs1'].entries()) {
      s.sent(4, i * 10);
      expect(s.receivedLine(`it's from the host: ${name}`, i * 10 + 1)).toBe(name);
    }
    expect(s.receivedLine('error: too long', 50)).toBeUndefined();
    expect([...s.perServer]).toEqual([
      ['rs1', 2],
      ['rs2', 1],
    ]);
    expect(s.replies).toBe(3);
    expect(s.otherLines).toBe(1);
    expect(s.lastServer).toBe('rs1');
    expect(s.linesSent).toBe(3);
    expect(s.bytesSent).toBe(12);
  });

  it('matches each received line with the oldest unanswered send for the round-trip time', () => {
    const s = new SessionStats();
    s.sent(2, 100);
    s.sent(2, 110);
    s.receivedLine("it's from the host: a", 105);
    expect(s.lastRttMs).toBe(5);
    s.receivedLine("it's from the host: a", 130);
    expect(s.lastRttMs).toBe(20);
    // A line nobody asked for leaves the last RTT alone.
    s.receivedLine('hello', 500);
    expect(s.lastRttMs).toBe(20);
  });

  it('forgets unanswered sends when the connection is replaced', () => {
    const s = new SessionStats();
    s.sent(2, 100);
    s.connectionReset();
    s.sent(2, 1000);
    s.receivedLine("it's from the host: a", 1003);
    expect(s.lastRttMs).toBe(3);
  });

  it('formats /stats with shares and totals', () => {
    const s = new SessionStats();
    expect(formatStats(s)).toEqual(['no replies yet']);
    s.receivedLine("it's from the host: rs1", 0);
    s.receivedLine("it's from the host: rs1", 0);
    s.receivedLine("it's from the host: rs-two", 0);
    s.receivedLine('other', 0);
    expect(formatStats(s)).toEqual([
      'rs1          2   66.7%',
      'rs-two       1   33.3%',
      'total        3 replies, 1 other lines',
    ]);
  });
});

describe('LatencyRecorder', () => {
  it('reports nothing before the first value', () => {
    expect(new LatencyRecorder().summary()).toBeUndefined();
  });

  it('reports p50 and p99 in milliseconds at microsecond resolution', () => {
    const r = new LatencyRecorder();
    for (let i = 1; i <= 100; i++) r.record(i / 10); // 0.1 .. 10 ms
    const s = r.summary()!;
    expect(s.count).toBe(100);
    expect(s.minMs).toBeCloseTo(0.1, 3);
    expect(s.p50Ms).toBeCloseTo(5, 2);
    expect(s.p99Ms).toBeCloseTo(9.9, 1);
    expect(s.maxMs).toBeCloseTo(10, 1);
  });
});
