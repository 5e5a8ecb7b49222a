import type { DrainDriver } from '@lvs-drain-kit/drivers';
import type { LabDirector } from '@lvs-drain-kit/lab';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeForReport, InterruptedError } from '../src/errors.js';
import { Journal } from '../src/journal.js';
import { runDrainTest } from '../src/run/drain-test.js';
import { type InProcessLab, startInProcessLab } from './in-process-lab.js';

// The library entry with injected drivers: real servers and the lab director run in-process.
let lab: InProcessLab;
let director: LabDirector;
let base: InProcessLab['base'];
let builtin: DrainDriver;

beforeEach(async () => {
  lab = await startInProcessLab(pino({ level: 'silent' }));
  ({ base, builtin, director } = lab);
});

afterEach(async () => {
  await lab.close();
});

/**
 * The other writer: as keepalived would at a checker transition, it sets rs1's weight to `weight` once
 * the hold has begun; the driver's reads wait for that write, so the run sees it at its next read.
 */
function otherWriterSets(weight: number): Pick<Parameters<typeof runDrainTest>[0], 'driver' | 'onProgress'> {
  let writer: Promise<void> | undefined;
  const driver: DrainDriver = {
    ...builtin,
    async getWeight(service, real) {
      await writer;
      return builtin.getWeight(service, real);
    },
  };
  return {
    driver,
    onProgress: (e) => {
      if (e.phase === 'hold' && e.kind === 'start') writer = builtin.setWeight({ vip: base.vip }, base.drain, weight);
    },
  };
}

describe('runDrainTest with injected drivers', () => {
  it('passes with a correct driver and reports progress through the callback', async () => {
    const phases: string[] = [];
    const report = await runDrainTest({
      ...base,
      driver: builtin,
      onProgress: (e) => e.kind === 'start' && phases.push(e.phase),
    });
    expect(report.verdict).toBe('pass');
    expect(phases).toEqual(['preflight', 'spread', 'drain', 'hold', 'new-connections', 'restore', 'cleanup']);
    expect(await new Journal(base.journalPath).entries()).toEqual([]);
  });

  it('a driver that says it drained but did not is caught by behaviour, not by its word', async () => {
    let claimed: number | undefined;
    const liar: DrainDriver = {
      ...builtin,
      name: 'liar',
      async getWeight(service, real) {
        return claimed ?? builtin.getWeight(service, real);
      },
      async setWeight(_service, _real, weight) {
        claimed = weight;
      },
    };
    const report = await runDrainTest({ ...base, driver: liar, restoreWeight: 1 });
    expect(report.verdict).toBe('fail');
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.id)).toEqual(['new-connections-avoid-drained']);
    expect(failed[0]!.failures.every((f) => f.class === 'wrong-host' && f.server === 'rs1')).toBe(true);
  });

  it('a director that keeps reporting the old weight: drain FAIL naming it, the run stops, the weight goes back', async () => {
    let sets = 0;
    const stuck: DrainDriver = {
      ...builtin,
      async getWeight() {
        return 1;
      },
      async setWeight(service, real, weight) {
        sets++;
        return builtin.setWeight(service, real, weight);
      },
    };
    const report = await runDrainTest({ ...base, driver: stuck });
    expect(report.verdict).toBe('fail');
    expect(report.checks.map((c) => `${c.id}:${c.status}`)).toEqual([
      'preflight:pass',
      'spread:pass',
      'drain:fail',
      'restore:pass',
      'identity-agrees:pass',
    ]);
    expect(report.checks[2]!.message).toBe('the director still reports weight 1 for rs1 after the drain');
    expect(report.error).toBeUndefined();
    expect(report.restore).toMatchObject({ attempted: true, restored: true, weight: 1 });
    expect(exitCodeForReport(report)).toBe(1);
    // Three tries at weight 0, then one restore to 1.
    expect(sets).toBe(4);
    expect(await builtin.getWeight({ vip: base.vip }, base.drain)).toBe(1);
    expect(await new Journal(base.journalPath).entries()).toEqual([]);
  });

  it('a weight someone else puts back during the run (keepalived at a checker transition) is drift, left as it is, exit 4, not a leak', async () => {
    const report = await runDrainTest({ ...base, ...otherWriterSets(1) });
    expect(report.verdict).toBe('error');
    expect(report.error).toMatchObject({ type: 'WeightDriftError', beforeDrain: false });
    expect(report.error?.message).toMatch(
      /^the weight of rs1 drifted during the run: the director reports 1, not the 0 this run set .*keepalived at a health-check transition/,
    );
    expect(exitCodeForReport(report)).toBe(4);
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId['old-connections-survive']?.status).toBe('pass');
    expect(byId['old-connections-survive']?.message).toContain('not about the drain');
    expect(byId['new-connections-avoid-drained']).toMatchObject({ status: 'skip', failures: [] });
    expect(byId['new-connections-avoid-drained']?.message).toMatch(/^not tested: rs1's weight was changed to 1/);
    expect(byId['weight-unchanged']?.message).toMatch(/^rs1's weight changed from 0 \(set by this run\) to 1, seen /);
    // The only failures are the drift and the restore it stopped: nothing blames the load balancer.
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['weight-unchanged', 'restore']);
    expect(report.restore).toMatchObject({ attempted: true, restored: false, weight: 1 });
    expect(report.restore.manualCommand).toBeTruthy();
    // The other party's 1 stays (here it is also the original weight); the journal forgets the drain.
    expect(await builtin.getWeight({ vip: base.vip }, base.drain)).toBe(1);
    expect(await new Journal(base.journalPath).entries()).toEqual([]);
  });

  it('--no-restore after someone else set the weight back: nothing is left drained, nothing for undo', async () => {
    const report = await runDrainTest({ ...base, ...otherWriterSets(3), restore: false });
    expect(exitCodeForReport(report)).toBe(4);
    const restore = report.checks.find((c) => c.id === 'restore');
    expect(restore?.status).toBe('skip');
    expect(restore?.message).toMatch(
      /^--no-restore: rs1's weight is 3, set by someone else .*left as it is, nothing for/,
    );
    expect(report.restore).toMatchObject({ attempted: false });
    // The other party's 3 stays, and undo has nothing to write over it.
    expect(await builtin.getWeight({ vip: base.vip }, base.drain)).toBe(3);
    expect(await new Journal(base.journalPath).entries()).toEqual([]);
  });

  it('--no-restore without drift: the server stays at 0 and the journal keeps it for undo', async () => {
    const report = await runDrainTest({ ...base, driver: builtin, restore: false });
    expect(report.checks.find((c) => c.id === 'restore')?.message).toMatch(
      /^--no-restore: rs1 left at weight 0; `lvs-verify undo` or: /,
    );
    expect(await builtin.getWeight({ vip: base.vip }, base.drain)).toBe(0);
    expect(await new Journal(base.journalPath).entries()).toMatchObject([{ keptDrained: true }]);
  });

  it('a restore that throws: exit 4, the manual command, and the journal keeps the drain for undo', async () => {
    const broken: DrainDriver = {
      ...builtin,
      async setWeight(service, real, weight) {
        if (weight > 0) throw new Error('director went away');
        return builtin.setWeight(service, real, weight);
      },
    };
    const report = await runDrainTest({
      ...base,
      driver: broken,
      driverSpec: { kind: 'builtin', control: `127.0.0.1:${director.control.port}` },
    });
    expect(exitCodeForReport(report)).toBe(4);
    expect(report.restore).toMatchObject({ attempted: true, restored: false, weight: 1 });
    expect(report.restore.manualCommand).toContain('-w 1');
    const [entry] = await new Journal(base.journalPath).entries();
    expect(entry).toMatchObject({ originalWeight: 1, driverSpec: { kind: 'builtin' } });
    expect(await builtin.getWeight({ vip: base.vip }, base.drain)).toBe(0);
  });

  it('an abort during the hold stops the run and restores first', async () => {
    const controller = new AbortController();
    const report = await runDrainTest({
      ...base,
      holdMs: 30_000,
      driver: builtin,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'hold' && e.kind === 'start')
          setTimeout(() => controller.abort(new InterruptedError('SIGTERM')), 100);
      },
    });
    expect(report.error).toMatchObject({ type: 'InterruptedError', signal: 'SIGTERM' });
    expect(report.restore.restored).toBe(true);
    expect(exitCodeForReport(report)).toBe(143);
    expect(await builtin.getWeight({ vip: base.vip }, base.drain)).toBe(1);
    expect(report.durationMs).toBeLessThan(10_000);
  });

  it('a named real server that cannot be reached directly (NAT) is trusted by name; unnamed, it fails preflight', async () => {
    const ghost = { host: '127.0.0.1', port: 9 };
    director.ipvsadm(['-a', '-t', `127.0.0.1:${director.vip.port}`, '-r', '127.0.0.1:9', '-w', '1']);
    const named = await runDrainTest({
      ...base,
      reals: [base.reals[1]!, { ...ghost, name: 'ghost' }],
      drain: ghost,
      driver: builtin,
    });
    expect(named.checks.find((c) => c.id === 'preflight')?.status).toBe('pass');
    expect(named.servers.map((s) => s.name)).toEqual(['rs2', 'ghost']);
    const unnamed = await runDrainTest({ ...base, reals: [base.reals[1]!, ghost], drain: ghost, driver: builtin });
    expect(unnamed.checks[0]).toMatchObject({ id: 'preflight', status: 'fail' });
    expect(unnamed.checks[0]!.message).toContain('give --real 127.0.0.1:9=NAME');
    expect(exitCodeForReport(unnamed)).toBe(3);
  });
});
