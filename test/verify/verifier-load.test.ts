import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify, tempDir } from './helpers.js';

interface Delay {
  p50: number;
  p99: number;
  max: number;
}
interface JsonReport {
  verdict: string;
  phases: Array<{ id: string }>;
  checks: Array<{ id: string; message: string }>;
  verifier: {
    eventLoopDelay: Delay;
    perPhase: Record<string, Delay>;
    peakRssBytes: number;
    heapUsedBytes: number;
    hold: { rounds: number; expectedRounds: number; cpuPercent: number };
    stalledTimeouts: number;
    warnings: string[];
  };
}

let state: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  state = await tempDir();
});
afterAll(async () => {
  await state.remove();
});

const sane = (d: Delay) => {
  for (const x of [d.p50, d.p99, d.max]) {
    expect(Number.isFinite(x)).toBe(true);
    expect(x).toBeGreaterThanOrEqual(0);
  }
  expect(d.p50).toBeLessThanOrEqual(d.p99);
  expect(d.p99).toBeLessThanOrEqual(d.max);
};

describe('lvs-verify drain-test measures itself', () => {
  it('200 connections through the builtin lab: event-loop delay, memory and hold rounds in --json and the human report', async () => {
    const args = ['drain-test', '--lab', '--connections', '200', '--hold', '1s', '--interval', '200ms'];
    const json = await runVerify([...args, '--json'], state.path);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as JsonReport;
    expect(report.verdict).toBe('pass');
    const v = report.verifier;
    sane(v.eventLoopDelay);
    expect(Object.keys(v.perPhase)).toEqual(report.phases.map((p) => p.id));
    for (const d of Object.values(v.perPhase)) sane(d);
    // A Node process holding 200 sockets: tens of MB resident, and not gigabytes.
    expect(v.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(v.peakRssBytes).toBeLessThan(2 * 1024 * 1024 * 1024);
    expect(v.heapUsedBytes).toBeGreaterThan(0);
    expect(v.heapUsedBytes).toBeLessThan(v.peakRssBytes);
    expect(v.hold.expectedRounds).toBe(5);
    expect(v.hold.rounds).toBeGreaterThan(0);
    expect(v.hold.rounds).toBeLessThanOrEqual(6);
    expect(v.hold.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(v.hold.cpuPercent).toBeLessThanOrEqual(100 * availableParallelism());
    expect(v.stalledTimeouts).toBe(0);
    expect(Array.isArray(v.warnings)).toBe(true);
    const survive = report.checks.find((c) => c.id === 'old-connections-survive')!;
    expect(survive.message).toContain(`(${v.hold.rounds} of 5 rounds)`);

    const human = await runVerify(args, state.path);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /^verifier event-loop delay p99 \d+ ms \(max \d+\) · peak RSS \d+ MB · hold \d+ of 5 rounds, \d+% CPU$/m,
    );
  });
});
