import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RsServer, startRsServer } from '@lvs-drain-kit/server';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDriver } from '../src/drivers/registry.js';
import { type LabDirector, startLabDirector } from '../src/lab/director.js';
import type { DrainTestOptions } from '../src/options.js';
import { runDrainTest } from '../src/run/drain-test.js';

// The verifier, the real servers and the lab director share this process: blocking it blocks them all,
// which is how the verifier's own stalls are made on purpose here.
const busyWait = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the event loop stands still
  }
};

let servers: RsServer[] = [];
let director: LabDirector;
let dir: string;
/** Blocks the process once, when the first hold line reaches a real server (before it replies). */
let stallOnHoldLine: number | undefined;

async function setup(): Promise<Omit<DrainTestOptions, 'onProgress'>> {
  const log = pino(
    { level: 'info' },
    {
      write(record: string) {
        if (stallOnHoldLine !== undefined && record.includes('"line":"line 1 ')) {
          const ms = stallOnHoldLine;
          stallOnHoldLine = undefined;
          busyWait(ms);
        }
      },
    },
  );
  const common = { port: 0, maxLineBytes: 4096, idleTimeoutMs: 0, maxConnections: 0, keepAliveMs: 0, log };
  servers = await Promise.all([
    startRsServer({ ...common, host: '127.0.0.2', name: 'rs1' }),
    startRsServer({ ...common, host: '127.0.0.3', name: 'rs2' }),
  ]);
  const reals = servers.map((s) => ({ host: s.address.address, port: s.address.port }));
  director = await startLabDirector({
    vip: { host: '127.0.0.1', port: 0 },
    control: { host: '127.0.0.1', port: 0 },
    reals,
  });
  dir = await mkdtemp(join(tmpdir(), 'lvs-verify-load-'));
  return {
    vip: { host: '127.0.0.1', port: director.vip.port },
    reals,
    drain: reals[0]!,
    driver: await createDriver({ kind: 'builtin', control: `127.0.0.1:${director.control.port}` }),
    holdMs: 300,
    intervalMs: 50,
    timeoutMs: 500,
    restoreTimeoutMs: 500,
    journalPath: join(dir, 'journal.json'),
  };
}

let base: Omit<DrainTestOptions, 'onProgress'>;
beforeEach(async () => {
  stallOnHoldLine = undefined;
  base = await setup();
});
afterEach(async () => {
  await director.close();
  await Promise.all(servers.map((s) => s.destroy()));
  await rm(dir, { recursive: true, force: true });
});

describe("the verifier's own load in the report", () => {
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
      onProgress: (e) => {
        if (e.kind === 'warn') warnings.push(e.message);
        if (e.phase === 'hold' && e.kind === 'start') busyWait(300);
      },
    });
    expect(report.verdict).toBe('pass');
    expect(report.verifier.perPhase.hold!.max).toBeGreaterThanOrEqual(250);
    const overloaded = report.verifier.warnings.filter((w) => w.includes('the verifier was overloaded during hold'));
    expect(overloaded).toHaveLength(1);
    expect(overloaded[0]).toMatch(/of the 500 ms timeout/);
    expect(warnings).toContain(overloaded[0]);
    expect(report.checks.some((c) => c.id === 'old-connections-survive' && c.status === 'pass')).toBe(true);
  });

  it('timeouts that come while the verifier stands still are marked as such', async () => {
    stallOnHoldLine = 700;
    const report = await runDrainTest(base);
    expect(report.verdict).toBe('fail');
    const hold = report.checks.find((c) => c.id === 'old-connections-survive')!;
    expect(hold.status).toBe('fail');
    const timeouts = hold.failures.filter((f) => f.class === 'timeout');
    expect(timeouts.length).toBeGreaterThan(0);
    for (const f of timeouts) {
      expect(f.verifierStalledMs).toBeGreaterThanOrEqual(250);
      expect(f.detail).toMatch(/verifier stalled \d+ ms/);
    }
    expect(report.verifier.stalledTimeouts).toBe(timeouts.length);
    expect(hold.message).toContain("came while the verifier's own event loop stood still");
    expect(report.verifier.warnings.some((w) => w.includes('overloaded during hold'))).toBe(true);
  });
});
