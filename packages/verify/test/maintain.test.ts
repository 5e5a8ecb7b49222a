import { readFile } from 'node:fs/promises';
import { InterruptedError } from '@lvs-drain-kit/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeForMaintain } from '../src/errors.js';
import { runMaintain } from '../src/maintain/maintain.js';
import type { MaintainOptions } from '../src/maintain/options.js';
import { connectionSample } from '../src/maintain/wait-empty.js';
import type { MaintainReport } from '../src/report/maintain-types.js';
import { type MaintenanceLab, startMaintenanceLab } from './support/maintenance-lab.js';

/**
 * runMaintain against the builtin director with real rs-servers in this process. `--exec` reaches the
 * servers through a hook that crashes, restarts or re-weights them for real; the sampler's traffic is
 * real traffic through the director.
 */
let lab: MaintenanceLab;
beforeAll(async () => {
  lab = await startMaintenanceLab();
});
afterAll(async () => {
  await lab?.close();
});
afterEach(async () => {
  await lab.reset();
});

/** Short settings: a lab on loopback empties in milliseconds. */
const QUICK: Partial<MaintainOptions> = {
  rate: 40,
  longLived: 4,
  maxAgeMs: 2000,
  intervalMs: 50,
  drainTimeoutMs: 5000,
  pollMs: 100,
  healthyTimeoutMs: 3000,
  restoreTimeoutMs: 3000,
  // The servers, the director and the sampler share this process: a busy machine stalls them together.
  timeoutMs: 3000,
};

function maintain(extra: Partial<MaintainOptions> = {}): Promise<MaintainReport> {
  return runMaintain({ ...lab.base, ...QUICK, ...extra });
}

const steps = (r: MaintainReport, name: string) =>
  Object.fromEntries(r.servers.find((s) => s.name === name)!.steps.map((k) => [k.id, k.status]));
const why = (r: MaintainReport) =>
  JSON.stringify({ error: r.error, servers: r.servers, failures: r.sampler.failures }, null, 1);
async function journal(): Promise<Array<{ name?: string; keptDrained?: boolean }>> {
  try {
    return (JSON.parse(await readFile(lab.base.journalPath!, 'utf8')) as { entries: [] }).entries;
  } catch {
    return [];
  }
}

describe('maintain (library, builtin director)', () => {
  it('maintains every server in turn with the work in between; no request fails', async () => {
    const r = await maintain({ exec: 'echo working on {name} at {rip}:{rport} behind {vip}:{vport}, weight {weight}' });
    expect(r.verdict, why(r)).toBe('pass');
    expect(exitCodeForMaintain(r)).toBe(0);
    expect(r.servers.map((s) => s.status)).toEqual(['done', 'done']);
    for (const s of r.servers) {
      expect(Object.values(steps(r, s.name)).every((k) => k === 'pass')).toBe(true);
      const t = s.timeline;
      expect(t.drainedAtMs).toBeGreaterThan(0);
      expect(t.backAtMs).toBeGreaterThan(t.drainedAtMs!);
      for (const d of [t.emptyAfterMs, t.workMs, t.healthyAfterMs, t.returnedAfterMs])
        expect(d).toBeGreaterThanOrEqual(0);
      expect(s.exec?.output).toBe(
        `working on ${s.name} at ${s.host}:${s.port} behind ${lab.base.vip.host}:${lab.base.vip.port}, weight 1\n`,
      );
      expect(s.requests.sent).toBeGreaterThan(0);
    }
    expect(r.sampler.requests.failed).toBe(0);
    expect(r.sampler.requests.sent).toBeGreaterThan(100);
    expect(Object.keys(r.sampler.answeredBy).sort()).toEqual(['rs1', 'rs2']);
    expect([lab.weight('rs1'), lab.weight('rs2')]).toEqual([1, 1]);
    expect(await journal()).toEqual([]);
  });

  it("the sampler's own long-lived connections never keep a server from being empty", async () => {
    // They would live a minute; the drain may take two seconds: only closing them early makes it.
    const r = await maintain({ longLived: 8, maxAgeMs: 60_000, drainTimeoutMs: 2000, only: ['rs1'] });
    expect(r.verdict, why(r)).toBe('pass');
    const w = r.servers[0]!.waitEmpty!;
    expect(w.first!.own).toBeGreaterThan(0);
    expect(w.first!.active).toBeGreaterThanOrEqual(w.first!.own);
    expect(w.samplerRetired).toBe(w.first!.own);
    expect(r.servers[0]!.timeline.emptyAfterMs).toBeLessThan(2000);
    expect(r.sampler.retired).toBeGreaterThan(0);
    expect(r.sampler.requests.failed).toBe(0);
  });

  it("another client's connection that never closes: not empty in time, put back without the work (exit 1)", async () => {
    await lab.pin('rs1');
    // Long-lived connections that outlive the run: none is closing (and so counted) while the wait looks.
    const r = await maintain({ drainTimeoutMs: 800, maxAgeMs: 60_000, exec: 'echo never' });
    expect(r.verdict, why(r)).toBe('fail');
    expect(exitCodeForMaintain(r)).toBe(1);
    const rs1 = r.servers[0]!;
    expect(rs1.name).toBe('rs1');
    expect(steps(r, 'rs1')).toEqual({ capacity: 'pass', drain: 'pass', 'wait-empty': 'fail', restore: 'pass' });
    // The sampler's own connections stay while another client's does: they leave by --max-age.
    expect(rs1.waitEmpty).toMatchObject({ timedOut: true, last: { remaining: 1 }, samplerRetired: 0 });
    expect(rs1.exec).toBeUndefined();
    expect(rs1.restore).toMatchObject({ attempted: true, restored: true });
    expect(r.servers[1]!.status).toBe('pending');
    expect(lab.weight('rs1')).toBe(1);
    expect(await journal()).toEqual([]);
  });

  it('--on-timeout continue and work that kills the server under its clients: the sampler sees it, FAIL', async () => {
    await lab.pin('rs1');
    // The sampler's connections live long enough to still be on rs1 when it dies.
    const r = await maintain({
      only: ['rs1'],
      longLived: 8,
      maxAgeMs: 60_000,
      drainTimeoutMs: 500,
      onTimeout: 'continue',
      exec: `${lab.hook} restart {name}`,
    });
    expect(r.verdict, why(r)).toBe('fail');
    expect(exitCodeForMaintain(r)).toBe(1);
    expect(steps(r, 'rs1')).toMatchObject({ 'wait-empty': 'warn', exec: 'pass', healthy: 'pass', restore: 'pass' });
    expect(r.sampler.requests.failed).toBeGreaterThan(0);
    const first = r.sampler.failures.first;
    expect(
      first.every((f) => f.server === 'rs1' && ['closed', 'reset'].includes(f.class)),
      why(r),
    ).toBe(true);
    expect(r.servers[0]!.requests.failed).toBe(r.sampler.requests.failed);
    expect(lab.weight('rs1')).toBe(1);
  });

  it('--min-serving 2 with two servers: refused before anything changes (exit 3)', async () => {
    const r = await maintain({ minServing: 2, exec: 'echo never' });
    expect(r.verdict).toBe('error');
    expect(r.error).toMatchObject({ type: 'CapacityError', beforeDrain: true });
    expect(r.error!.message).toMatch(/draining rs1 would leave 1 other server with weight > 0 .*--min-serving 2/);
    expect(exitCodeForMaintain(r)).toBe(3);
    expect(r.servers.every((s) => s.steps.length === 0)).toBe(true);
    expect(r.sampler.requests.sent).toBe(0);
    expect([lab.weight('rs1'), lab.weight('rs2')]).toEqual([1, 1]);
    expect(await journal()).toEqual([]);
  });

  it('a UDP service: refused before anything changes, the sampler speaks TCP (exit 3)', async () => {
    const udp = Object.assign(Object.create(lab.base.driver) as typeof lab.base.driver, { protocol: 'udp' as const });
    const r = await maintain({ driver: udp, exec: 'echo never' });
    expect(r.error).toMatchObject({ type: 'PreflightError', beforeDrain: true });
    expect(r.error!.message).toMatch(/sampler speaks TCP only: it cannot prove the UDP service/);
    expect(exitCodeForMaintain(r)).toBe(3);
    expect(r.sampler.requests.sent).toBe(0);
    expect([lab.weight('rs1'), lab.weight('rs2')]).toEqual([1, 1]);
  });

  it('a server that does not come back healthy stays drained, on the journal (exit 4)', async () => {
    const r = await maintain({ exec: `${lab.hook} crash {name}`, healthyTimeoutMs: 600 });
    expect(r.verdict, why(r)).toBe('fail');
    expect(exitCodeForMaintain(r), why(r)).toBe(4);
    expect(steps(r, 'rs1')).toMatchObject({ exec: 'pass', healthy: 'fail' });
    expect(r.servers[0]!.restore).toMatchObject({ attempted: false, leftDrained: true });
    expect(r.servers[0]!.restore.manualCommand).toMatch(/-w 1\b/);
    expect(r.servers[1]!.status).toBe('pending');
    expect(lab.weight('rs1')).toBe(0);
    expect(await journal()).toMatchObject([{ name: 'rs1', keptDrained: true }]);
  });

  it('a weight someone else changed meanwhile is not overwritten (exit 4)', async () => {
    const r = await maintain({ only: ['rs1'], exec: `${lab.hook} weight {name} 3` });
    expect(exitCodeForMaintain(r)).toBe(4);
    expect(steps(r, 'rs1')).toMatchObject({ healthy: 'pass', restore: 'fail' });
    expect(r.servers[0]!.restore).toMatchObject({ attempted: true, restored: false, changedTo: 3 });
    expect(lab.weight('rs1')).toBe(3);
    expect(await journal()).toEqual([]);
  });

  it('work that fails: the server is healthy, so it goes back; the run stops (exit 1)', async () => {
    const r = await maintain({ exec: 'echo half-way; echo "apt: held packages" >&2; exit 2' });
    expect(exitCodeForMaintain(r)).toBe(1);
    expect(steps(r, 'rs1')).toMatchObject({ exec: 'fail', healthy: 'pass', restore: 'pass' });
    expect(r.servers[0]!.exec).toMatchObject({ exitCode: 2, output: 'half-way\napt: held packages\n' });
    expect(r.servers[0]!.steps.find((k) => k.id === 'exec')!.message).toBe('exit 2: apt: held packages');
    expect(r.servers[1]!.status).toBe('pending');
    expect(lab.weight('rs1')).toBe(1);
  });

  it('SIGINT while waiting: the drained server goes back first, then the run ends (exit 130)', async () => {
    await lab.pin('rs1');
    const controller = new AbortController();
    const r = await maintain({
      drainTimeoutMs: 30_000,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.step === 'wait-empty' && e.kind === 'note') controller.abort(new InterruptedError('SIGINT'));
      },
    });
    expect(r.error).toMatchObject({ type: 'InterruptedError', signal: 'SIGINT', beforeDrain: false, server: 'rs1' });
    expect(exitCodeForMaintain(r)).toBe(130);
    expect(r.servers[0]!.restore).toMatchObject({ attempted: true, restored: true });
    expect(lab.weight('rs1')).toBe(1);
    expect(await journal()).toEqual([]);
  });
});

describe('what keeps a drained server busy', () => {
  it("counts other clients' active connections, and with `all` the inactive ones; never the sampler's own", () => {
    const c = { host: 'x', port: 1, active: 5, inactive: 7 };
    expect(connectionSample(c, 2, 'active', 0).remaining).toBe(3);
    expect(connectionSample(c, 2, 'all', 0).remaining).toBe(10);
    // The sampler believes it has more than the director shows (a close in flight): never below zero.
    expect(connectionSample({ ...c, active: 1 }, 2, 'active', 0).remaining).toBe(0);
    expect(connectionSample(undefined, 0, 'all', 0).remaining).toBe(0);
  });
});
