import type { DrainDriver } from '@lvs-drain-kit/drivers';
import { BLACKHOLE_MS } from '@lvs-drain-kit/lab';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForReport } from '../src/errors.js';
import { runDrainTest } from '../src/run/drain-test.js';
import { p99, stallThreshold } from '../src/run/old-connections-no-stall.js';
import { type InProcessLab, startInProcessLab } from './in-process-lab.js';

let lab: InProcessLab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

describe('a stall is measured against the connection itself', () => {
  it('10× its pre-drain p99, and never under 200 ms', () => {
    expect(p99([1, 2, 3])).toBe(3);
    expect(p99([])).toBe(0);
    expect(stallThreshold({ baselineRtts: [0.4, 0.6], helloRttMs: 5 })).toEqual({
      baselineP99Ms: 0.6,
      thresholdMs: 200,
    });
    expect(stallThreshold({ baselineRtts: [30, 45], helloRttMs: 5 })).toEqual({ baselineP99Ms: 45, thresholdMs: 450 });
    // No line before the drain: its first round trip stands in.
    expect(stallThreshold({ baselineRtts: [], helloRttMs: 25 }).thresholdMs).toBe(250);
  });
});

describe('the drain moment', () => {
  it('old connections talk before and while the drain command runs, not only after it', async () => {
    // The real servers log every line they get: count the hold's lines.
    let served = 0;
    const log = pino(
      { level: 'info' },
      {
        write(record: string) {
          if (record.includes('"line":"line ')) served++;
        },
      },
    );
    lab = await startInProcessLab(log);
    const builtin = lab.builtin;
    let atCommand = 0;
    let whileRunning = -1;
    // A drain command that takes 400 ms (a director over ssh): lines keep going while it runs.
    const slow: DrainDriver = {
      ...builtin,
      async setWeight(service, real, weight) {
        if (weight === 0) {
          atCommand = served;
          await new Promise((r) => setTimeout(r, 400));
          whileRunning = served - atCommand;
        }
        return builtin.setWeight(service, real, weight);
      },
    };
    const report = await runDrainTest({ ...lab.base, driver: slow, intervalMs: 50, holdMs: 600 });
    expect(report.verdict, report.checks.map((c) => `${c.id}=${c.status}: ${c.message}`).join('\n')).toBe('pass');
    // Two rounds of every connection went before the command (each one's baseline) …
    expect(atCommand).toBeGreaterThanOrEqual(2 * report.settings.connections);
    // … and more while it ran (eight rounds at most in 400 ms; a loaded machine may fit fewer).
    expect(whileRunning).toBeGreaterThanOrEqual(report.settings.connections);
    expect(report.latency.rs1?.drain?.rtt?.count).toBeGreaterThan(0);
  });

  it(`a director that blackholes the drained server's old connections for ${BLACKHOLE_MS} ms at the drain: a stall warning; --strict fails`, async () => {
    lab = await startInProcessLab(pino({ level: 'silent' }), ['blackhole-old']);
    // Lines back to back: one is always in flight on each connection when the blackhole starts, however
    // late a loaded machine runs the verifier.
    // A hold past the blackhole's end: the connections on rs1 answer again within it.
    const settings = { intervalMs: 10, holdMs: BLACKHOLE_MS + 500, timeoutMs: BLACKHOLE_MS + 2000 };
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin, ...settings });
    // Nothing was lost: every connection answered within the timeout …
    expect(report.checks.find((c) => c.id === 'old-connections-survive')?.status).toBe('pass');
    // … but the clients on rs1 waited.
    const stall = report.checks.find((c) => c.id === 'old-connections-no-stall')!;
    expect(stall.status, stall.message).toBe('warn');
    expect(stall.message).toMatch(/old connections? on rs1 stalled/);
    expect(stall.failures.length).toBeGreaterThan(0);
    for (const f of stall.failures) {
      expect(f).toMatchObject({ class: 'stall', server: 'rs1' });
      expect(f.connection).toMatch(/^old#\d+$/);
      expect(f.atMs).toBeLessThan(BLACKHOLE_MS);
      expect(f.detail).toMatch(/^answered after \d+ ms; before the drain its p99 was [\d.]+ ms$/);
    }
    expect(report.servers.find((s) => s.name === 'rs1')!.stalls).toBe(stall.failures.length);
    expect(report.servers.find((s) => s.name === 'rs2')!.stalls).toBe(0);
    expect(report.disruptions.some((d) => d.classes.includes('stall'))).toBe(true);
    expect(report.verdict).toBe('pass');
    expect(exitCodeForReport(report)).toBe(0);

    const strict = await runDrainTest({ ...lab.base, driver: lab.builtin, ...settings, strict: true });
    expect(strict.checks.find((c) => c.id === 'old-connections-no-stall')?.status).toBe('fail');
    expect(strict.verdict).toBe('fail');
    expect(exitCodeForReport(strict)).toBe(1);
  });

  it('a correct drain shows no stall', async () => {
    lab = await startInProcessLab(pino({ level: 'silent' }));
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin, intervalMs: 50, holdMs: 600 });
    const stall = report.checks.find((c) => c.id === 'old-connections-no-stall')!;
    expect(stall.status, stall.message).toBe('pass');
    expect(stall.message).toMatch(/slowest: [\d.]+ ms on old#\d+ on rs[12]/);
  });
});
