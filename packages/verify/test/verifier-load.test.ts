import { availableParallelism } from 'node:os';
import { type DrainReport, runVerify, tempDir } from '@lvs-drain-kit/testkit';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DrainTestOptions } from '../src/options.js';
import { runDrainTest } from '../src/run/drain-test.js';
import { type InProcessLab, startInProcessLab } from './in-process-lab.js';

// The verifier, the real servers and the lab director share this process: blocking it blocks them all,
// which is how the verifier's own stalls are made on purpose here.
const busyWait = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the event loop stands still
  }
};

let lab: InProcessLab;
/** Blocks the process once, when the first line after the drain reaches a real server (before it replies). */
let stallOnHoldLine: number | undefined;
/** Set when the hold (after the drain) starts: the lines before it are the connections' baseline. */
let holding = false;

let base: Omit<DrainTestOptions, 'onProgress'>;

describe("the verifier's own load in the report", () => {
  beforeEach(async () => {
    stallOnHoldLine = undefined;
    holding = false;
    const log = pino(
      { level: 'info' },
      {
        write(record: string) {
          if (stallOnHoldLine !== undefined && holding && record.includes('"line":"line ')) {
            const ms = stallOnHoldLine;
            stallOnHoldLine = undefined;
            busyWait(ms);
          }
        },
      },
    );
    lab = await startInProcessLab(log);
    base = { ...lab.base, driver: lab.builtin };
  });
  afterEach(async () => {
    await lab.close();
  });

  it('reports event-loop delay per phase, memory and hold rounds', async () => {
    const report = await runDrainTest(base);
    expect(report.verdict).toBe('pass');
    const v = report.verifier;
    for (const d of [v.eventLoopDelay, ...Object.values(v.perPhase)]) {
      expect(d.p50).toBeGreaterThanOrEqual(0);
      expect(d.p99).toBeGreaterThanOrEqual(d.p50);
      expect(d.max).toBeGreaterThanOrEqual(d.p99);
    }
    expect(Object.keys(v.perPhase)).toEqual(report.phases.map((p) => p.id));
    expect(v.peakRssBytes).toBeGreaterThan(v.heapUsedBytes);
    expect(v.heapUsedBytes).toBeGreaterThan(0);
    expect(v.hold).toMatchObject({ expectedRounds: 6 });
    expect(v.hold!.rounds).toBeGreaterThan(0);
    expect(v.stalledTimeouts).toBe(0);
  });

  it('a blocked event loop during the hold is reported as the verifier overloaded, not as a failure', async () => {
    const warnings: string[] = [];
    const report = await runDrainTest({
      ...base,
      // A block of 60% of the reply bound: overloaded, yet every reply in time, with room for a busy machine.
      timeoutMs: 1000,
      // Long enough that lines still go out after the blocked 600 ms: a hold that saw nothing is no pass.
      holdMs: 1200,
      onProgress: (e) => {
        if (e.kind === 'warn') warnings.push(e.message);
        if (e.phase === 'hold' && e.kind === 'start') busyWait(600);
      },
    });
    expect(report.verdict, report.checks.map((c) => `${c.id}=${c.status}: ${c.message}`).join('\n')).toBe('pass');
    expect(report.verifier.perPhase.hold!.max).toBeGreaterThanOrEqual(550);
    const overloaded = report.verifier.warnings.filter((w) => w.includes('the verifier was overloaded during hold'));
    expect(overloaded).toHaveLength(1);
    expect(overloaded[0]).toMatch(/of the 1000 ms timeout/);
    expect(warnings).toContain(overloaded[0]);
    expect(report.checks.some((c) => c.id === 'old-connections-survive' && c.status === 'pass')).toBe(true);
    // Replies late because the verifier itself stood still are not the drain's stalls.
    const stall = report.checks.find((c) => c.id === 'old-connections-no-stall')!;
    expect(stall.status, stall.message).toBe('pass');
  });

  it('timeouts that come while the verifier stands still are marked as such', async () => {
    stallOnHoldLine = 700;
    const report = await runDrainTest({
      ...base,
      // Shorter than the block: the lines in flight time out while the loop stands still.
      timeoutMs: 500,
      // Lines after the drain even when its read-back is slow on a busy machine: the block needs one.
      holdMs: 1000,
      onProgress: (e) => {
        if (e.phase === 'hold' && e.kind === 'start') holding = true;
      },
    });
    expect(report.verdict).toBe('fail');
    const hold = report.checks.find((c) => c.id === 'old-connections-survive')!;
    expect(hold.status).toBe('fail');
    const timeouts = hold.failures.filter((f) => f.class === 'timeout');
    expect(timeouts.length).toBeGreaterThan(0);
    for (const f of timeouts) {
      expect(f.verifierStalledMs).toBeGreaterThanOrEqual(250);
      expect(f.detail).toMatch(/verifier stalled \d+ ms/);
    }
    // These, and any other phase's that a busy machine stalled too.
    expect(report.verifier.stalledTimeouts).toBeGreaterThanOrEqual(timeouts.length);
    expect(hold.message).toContain("came while the verifier's own event loop stood still");
    expect(report.verifier.warnings.some((w) => w.includes('overloaded during hold'))).toBe(true);
  });
});

describe('lvs-verify drain-test measures itself (real binary)', () => {
  let state: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    state = await tempDir();
  });
  afterAll(async () => {
    await state.remove();
  });

  const sane = (d: { p50: number; p99: number; max: number }) => {
    for (const x of [d.p50, d.p99, d.max]) {
      expect(Number.isFinite(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(0);
    }
    expect(d.p50).toBeLessThanOrEqual(d.p99);
    expect(d.p99).toBeLessThanOrEqual(d.max);
  };

  // Two runs of the real binary with 200 connections: on two busy cores they can outlast the default 30 s.
  it('200 connections through the builtin lab: event-loop delay, memory and hold rounds in --json and the human report', async () => {
    const args = ['drain-test', '--lab', '--connections', '200', '--hold', '1s', '--interval', '200ms'];
    const json = await runVerify([...args, '--json'], state.path);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as DrainReport;
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
    expect(v.hold?.expectedRounds).toBe(5);
    expect(v.hold?.rounds).toBeGreaterThan(0);
    expect(v.hold?.rounds).toBeLessThanOrEqual(6);
    expect(v.hold?.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(v.hold?.cpuPercent).toBeLessThanOrEqual(100 * availableParallelism());
    expect(v.stalledTimeouts).toBe(0);
    expect(Array.isArray(v.warnings)).toBe(true);
    const survive = report.checks.find((c) => c.id === 'old-connections-survive')!;
    expect(survive.message).toContain(`(${v.hold?.rounds} of 5 rounds after the drain)`);

    const human = await runVerify(args, state.path);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /^verifier event-loop delay p99 \d+ ms \(max \d+\) · peak RSS \d+ MB · hold \d+ of 5 rounds, \d+% CPU$/m,
    );
    // Two runs of the binary, each a lab of three processes and 200 connections: a busy machine's time.
  }, 120_000);
});
