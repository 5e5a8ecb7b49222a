import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectableLeak, percent, samplesForLeak } from '../src/measure/power.js';
import { resolveOptions } from '../src/options.js';
import { runDrainTest } from '../src/run/drain-test.js';
import { type InProcessLab, startInProcessLab } from './in-process-lab.js';

describe('the strength of "no new connection reached it"', () => {
  it('sizes the sample from the leak to catch, and states the leak a sample would catch', () => {
    expect(samplesForLeak(0.05)).toBe(59);
    expect(samplesForLeak(0.1)).toBe(29);
    expect(samplesForLeak(0.01)).toBe(299);
    expect(detectableLeak(59)).toBeCloseTo(0.0495, 4);
    // The old default: a 17% leak could go unseen one time in twenty.
    expect(detectableLeak(16)).toBeCloseTo(0.171, 3);
    // A bound is rounded up, never down: 4.95% is said as 5%.
    expect(percent(detectableLeak(59), true)).toBe('5%');
    expect(percent(detectableLeak(16), true)).toBe('18%');
    expect(percent(0.0731)).toBe('7.3%');
    expect(percent(0.005)).toBe('0.5%');
  });

  it('--max-leak sizes --new-connections; --new-connections wins', () => {
    const base = { vip: { host: '127.0.0.1', port: 1 }, reals: [], drain: { host: '127.0.0.1', port: 2 } };
    const driver = {} as never;
    expect(resolveOptions({ ...base, driver }).newConnections).toBe(59);
    expect(resolveOptions({ ...base, driver, maxLeak: 0.1 }).newConnections).toBe(29);
    expect(resolveOptions({ ...base, driver, maxLeak: 0.1, newConnections: 16 }).newConnections).toBe(16);
  });
});

describe('a director that still sends a share of new connections to the drained server', () => {
  let lab: InProcessLab;
  beforeAll(async () => {
    lab = await startInProcessLab(pino({ level: 'silent' }), ['leak-new=10%']);
  });
  afterAll(async () => {
    await lab.close();
  });

  it('is caught by the default sample in at least 38 of 40 runs (a 10% leak; 16 connections caught it ~81% of the time)', async () => {
    const runs = 40;
    let caught = 0;
    const samples = new Set<number>();
    for (let i = 0; i < runs; i++) {
      const report = await runDrainTest({
        ...lab.base,
        driver: lab.builtin,
        connections: 2,
        holdMs: 30,
        intervalMs: 10,
      });
      const avoid = report.checks.find((c) => c.id === 'new-connections-avoid-drained')!;
      samples.add(avoid.power!.samples);
      if (avoid.status === 'fail') {
        caught++;
        expect(avoid.failures.every((f) => f.class === 'wrong-host' && f.server === 'rs1')).toBe(true);
      } else {
        expect(avoid.message).toMatch(
          /^0 of 59 new connections reached rs1: a leak of ≥ 5% would have been seen with 95% confidence/,
        );
      }
      // Every run starts from a restored director.
      expect(report.restore.restored).toBe(true);
    }
    expect([...samples]).toEqual([59]);
    expect(caught).toBeGreaterThanOrEqual(38);
    // Forty whole runs: minutes on a busy machine.
  }, 400_000);
});
