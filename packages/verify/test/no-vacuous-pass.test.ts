import type { DrainDriver } from '@lvs-drain-kit/drivers';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForReport, UsageError } from '../src/errors.js';
import { resolveSettings } from '../src/options.js';
import { renderHuman } from '../src/report/human.js';
import { runDrainTest } from '../src/run/drain-test.js';
import { type InProcessLab, startInProcessLab } from './in-process-lab.js';

let lab: InProcessLab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

const busyWait = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the event loop stands still
  }
};

describe('settings that would test nothing are refused up front', () => {
  it.each([
    [
      { holdMs: 5 },
      /^--hold 5ms is shorter than 3 intervals of 200ms: .*give --hold 600ms or more, or a shorter --interval$/,
    ],
    [{ holdMs: 0 }, /^--hold 0ms is shorter than 3 intervals/],
    [{ holdMs: 1000, intervalMs: 400 }, /^--hold 1.00s is shorter than 3 intervals of 400ms/],
    [{ intervalMs: 0 }, /--interval must be at least 1ms/],
    [{ restoreTimeoutMs: 0 }, /--restore-timeout must leave time/],
    [{ newConnections: 0 }, /--new-connections must be at least 1/],
    [{ maxLeak: 1 }, /--max-leak must be above 0% and below 100%/],
  ])('%j', (settings, message) => {
    expect(() => resolveSettings(settings)).toThrow(UsageError);
    expect(() => resolveSettings(settings)).toThrow(message);
  });

  it('three intervals is enough', () => {
    expect(resolveSettings({ holdMs: 600, intervalMs: 200 })).toMatchObject({ holdMs: 600, newConnections: 59 });
  });
});

describe('a check that observed nothing is not a pass', () => {
  it('a hold in which no line went out after the drain is inconclusive (exit 3)', async () => {
    lab = await startInProcessLab(pino({ level: 'silent' }));
    const { builtin, base } = lab;
    let drained = false;
    let blocked = false;
    // The verifier stands still from the drain to past the hold's end — in the drain's read-back, before
    // the loop turns once, so no line can slip in: not one line goes out after the drain.
    const driver: DrainDriver = {
      ...builtin,
      async setWeight(service, real, weight) {
        await builtin.setWeight(service, real, weight);
        drained = weight === 0;
      },
      async getWeight(service, real) {
        if (drained && !blocked) {
          blocked = true;
          busyWait((base.holdMs ?? 0) + 100);
        }
        return builtin.getWeight(service, real);
      },
    };
    const report = await runDrainTest({ ...base, driver });
    const hold = report.checks.find((c) => c.id === 'old-connections-survive')!;
    expect(hold.status, hold.message).toBe('inconclusive');
    expect(hold.message).toMatch(/\(0 of \d+ rounds after the drain\): nothing shows they survived it/);
    expect(report.verdict).toBe('inconclusive');
    expect(exitCodeForReport(report)).toBe(3);
    const text = renderHuman(report, { color: false });
    expect(text).toMatch(/VOID\s+old-connections-survive/);
    expect(text).toMatch(/verdict\s+INCONCLUSIVE\s+observed nothing to judge in: old-connections-survive/);
  });
});

describe('hints point at the problem', () => {
  it('a hung drained server slows the hold: the note names the timeouts, not a longer --interval', async () => {
    lab = await startInProcessLab(pino({ level: 'silent' }), ['hang-old']);
    const report = await runDrainTest({
      ...lab.base,
      driver: lab.builtin,
      holdMs: 1000,
      intervalMs: 50,
      timeoutMs: 400,
    });
    expect(report.checks.find((c) => c.id === 'old-connections-survive')?.status).toBe('fail');
    const pace = report.verifier.warnings.filter((w) => w.startsWith('the hold got through'));
    expect(pace.length).toBe(1);
    expect(pace[0]).toMatch(
      /rounds waited for replies that never came \(\d+ connections? timed out, see old-connections-survive\)/,
    );
    expect(pace[0]).not.toContain('--interval');
    expect(pace[0]).not.toContain('--connections');
  });
});
