import type { DrainDriver } from '@lvs-drain-kit/drivers';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForReport } from '../src/errors.js';
import { Journal } from '../src/journal.js';
import { clientAffinity } from '../src/run/client-affinity.js';
import { ClientSources } from '../src/run/client-sources.js';
import { runDrainTest } from '../src/run/drain-test.js';
import { spreadAttempts } from '../src/run/spread.js';
import { type InProcessLab, startInProcessLab } from './in-process-lab.js';

// Hashing and persistent services, several client addresses (every 127.0.0.0/8 address is this host's).
const SOURCES = '127.0.1.0/27';
const silent = pino({ level: 'silent' });
let lab: InProcessLab | undefined;

afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

const statuses = (r: { checks: Array<{ id: string; status: string }> }) =>
  Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
const message = (r: { checks: Array<{ id: string; message: string }> }, id: string) =>
  r.checks.find((c) => c.id === id)?.message ?? '';

describe('what keeps a client on one server (pure)', () => {
  it('hashing by source, by destination, persistence; round-robin keeps nobody', () => {
    expect(clientAffinity({ scheduler: 'wrr' })).toBeUndefined();
    expect(clientAffinity({ scheduler: 'sh' })).toMatchObject({
      kind: 'source',
      refusesDrained: expect.stringContaining('sh-fallback'),
    });
    expect(clientAffinity({ scheduler: 'jhash ip saddr mod 2' })).toMatchObject({ kind: 'source' });
    expect(clientAffinity({ scheduler: 'dh' })).toMatchObject({ kind: 'destination' });
    expect(clientAffinity({ scheduler: 'wrr', persistent: 300 })).toMatchObject({ kind: 'source', persistent: 300 });
  });

  it('a persistent service keeps old, new and return connections on addresses of their own', () => {
    const all = Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 1}`);
    const kept = new ClientSources(all, true);
    const old = new Set([1, 2, 3, 4].map(() => kept.pick('old')));
    const fresh = new Set([1, 2, 3, 4].map(() => kept.pick('new')));
    expect([...old].filter((a) => fresh.has(a))).toEqual([]);
    expect(kept.count('return')).toBe(3);
    const shared = new ClientSources(all);
    expect(shared.pick('old')).toBe('10.0.0.1');
    expect(shared.pick('new')).toBe('10.0.0.1');
    expect(new ClientSources([]).pick('new')).toBeUndefined();
  });

  it('spread tries are sized from the weights: a server with 2% of the weight gets hundreds', () => {
    const servers = (a: number, b: number) =>
      new Map([
        ['rs1', { drained: true, weightBefore: a }],
        ['rs2', { drained: false, weightBefore: b }],
      ]) as never;
    const options = { connections: 8 } as never;
    expect(spreadAttempts({ servers: servers(1, 1), options })).toBe(32);
    expect(spreadAttempts({ servers: servers(2, 98), options })).toBeGreaterThanOrEqual(340);
    expect(spreadAttempts({ servers: servers(98, 2), options })).toBeGreaterThanOrEqual(340);
  });
});

describe('drain-test on hashing and persistent services (builtin lab director)', () => {
  it('sh from one client address: exit 3 before anything changes, naming --source-range', async () => {
    lab = await startInProcessLab(silent, { scheduler: 'sh' });
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin });
    expect(statuses(report)).toEqual({ preflight: 'fail' });
    expect(message(report, 'preflight')).toMatch(
      /scheduler sh picks the server by the client's address: from one client address .*--source-range/,
    );
    expect(exitCodeForReport(report)).toBe(3);
    expect(await lab.builtin.getWeight({ vip: lab.base.vip }, lab.base.drain)).toBe(1);
  });

  it('a client address that is not this host is refused before anything changes', async () => {
    lab = await startInProcessLab(silent);
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin, sources: ['198.51.100.7'] });
    expect(message(report, 'preflight')).toContain('198.51.100.7 not on this host');
    expect(exitCodeForReport(report)).toBe(3);
  });

  it('sh from several addresses: spread works; the drained server’s clients are refused (no fallback) and the report says why', async () => {
    lab = await startInProcessLab(silent, { scheduler: 'sh' });
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin, sourceRange: SOURCES });
    expect(statuses(report)).toMatchObject({
      spread: 'pass',
      'new-connections-avoid-drained': 'fail',
      restore: 'pass',
    });
    expect(message(report, 'preflight')).toContain('scheduler sh; 30 client addresses');
    expect(message(report, 'new-connections-avoid-drained')).toContain('unless it falls back (ipvsadm -b sh-fallback)');
    expect(exitCodeForReport(report)).toBe(1);
  });

  it('persistent (wrr -p 300): passes from fresh client addresses; templates on the drained server warn, naming the sysctl', async () => {
    lab = await startInProcessLab(silent, { persistent: 300 });
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin, sourceRange: SOURCES });
    expect(statuses(report)).toMatchObject({
      spread: 'pass',
      'new-connections-avoid-drained': 'pass',
      'reused-source-port': 'skip',
      'persistence-templates': 'warn',
      'weight-unchanged': 'pass',
      restore: 'pass',
      'new-connections-return': 'pass',
    });
    expect(message(report, 'preflight')).toContain('persistent 300 s');
    expect(message(report, 'persistence-templates')).toMatch(
      /with a template on rs1 .*, [1-4] new connections reached it: .*net\.ipv4\.vs\.expire_quiescent_template=1.*without a template/,
    );
    expect(exitCodeForReport(report)).toBe(0);
    const strict = await runDrainTest({ ...lab.base, driver: lab.builtin, sourceRange: SOURCES, strict: true });
    expect(statuses(strict)['persistence-templates']).toBe('fail');
  });

  it('persistent with expire_quiescent_template=1: known clients move too, the check passes', async () => {
    lab = await startInProcessLab(silent, { persistent: 300, expireQuiescentTemplate: true });
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin, sourceRange: SOURCES });
    expect(statuses(report)['persistence-templates']).toBe('pass');
    expect(message(report, 'persistence-templates')).toContain('0 new connections reached it');
    expect(exitCodeForReport(report)).toBe(0);
  });

  it('a spread that cannot be made (the other server has weight 0) is exit 3 with what to check, nothing drained', async () => {
    lab = await startInProcessLab(silent);
    const other = lab.base.reals[1]!;
    lab.setWeightByHand(other, 0);
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin });
    expect(statuses(report)).toEqual({ preflight: 'pass', spread: 'fail' });
    expect(message(report, 'spread')).toMatch(
      /no connection reached a server other than rs1 in \d+ tries .*: draining it would leave nothing; check the weights/,
    );
    expect(report.error).toMatchObject({ type: 'SpreadError', beforeDrain: true });
    expect(exitCodeForReport(report)).toBe(3);
    expect(await lab.builtin.getWeight({ vip: lab.base.vip }, lab.base.drain)).toBe(1);
  });

  it('persistent from one client address: exit 3', async () => {
    lab = await startInProcessLab(silent, { persistent: 300 });
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin, sources: ['127.0.1.1', '127.0.1.2'] });
    expect(message(report, 'preflight')).toMatch(/persistent service \(300 s\).*from 2 client addresses.*at least 6/);
    expect(exitCodeForReport(report)).toBe(3);
  });
});

describe('someone else changes the weight during the test', () => {
  /** The builtin driver, and "another operator" who sets the drained server's weight to 3 during the hold. */
  function meddled(l: InProcessLab): DrainDriver {
    return {
      ...l.builtin,
      async setWeight(service, real, weight) {
        await l.builtin.setWeight(service, real, weight);
        if (weight === 0) {
          setTimeout(() => {
            l.setWeightByHand(real, 3);
          }, 50);
        }
      },
    };
  }

  it('weight-unchanged fails naming both values; the restore leaves the other party’s weight; exit 4', async () => {
    lab = await startInProcessLab(silent);
    const report = await runDrainTest({ ...lab.base, driver: meddled(lab) });
    expect(statuses(report)).toMatchObject({ 'weight-unchanged': 'fail', restore: 'fail' });
    expect(message(report, 'weight-unchanged')).toMatch(
      /rs1's weight changed from 0 \(set by this run\) to 3, seen after the hold \(\d+ ms after the drain\)/,
    );
    expect(message(report, 'restore')).toMatch(/weight is 3, not the 0 this run set: .*left as it is.*-w 1/);
    expect(message(report, 'new-connections-avoid-drained')).toContain('not about the drain');
    expect(exitCodeForReport(report)).toBe(4);
    expect(await lab.builtin.getWeight({ vip: lab.base.vip }, lab.base.drain)).toBe(3);
    expect(await new Journal(lab.base.journalPath).entries()).toEqual([]);
  });

  it('undo puts back only the weight the run set', async () => {
    lab = await startInProcessLab(silent);
    const { undoDrains } = await import('../src/undo.js');
    const journal = new Journal(lab.base.journalPath);
    const spec = { kind: 'builtin' as const, control: `127.0.0.1:${lab.director.control.port}` };
    const entry = {
      vip: lab.base.vip,
      real: lab.base.drain,
      originalWeight: 1,
      driverSpec: spec,
      driverDescription: 'builtin',
      manualCommand: 'ipvsadm -e … -w 1',
    };
    // Someone else set 3 after the run's 0: left, said, journal cleared.
    lab.setWeightByHand(lab.base.drain, 3);
    await journal.add(entry);
    const lines: string[] = [];
    const left = await undoDrains({ journalPath: lab.base.journalPath, onLine: (l) => lines.push(l) });
    expect(left.failed).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/left .* alone: its weight is 3, not the 0 the run set/);
    expect(await lab.builtin.getWeight({ vip: lab.base.vip }, lab.base.drain)).toBe(3);
    // Still the run's 0: put back.
    lab.setWeightByHand(lab.base.drain, 0);
    await journal.add(entry);
    const put = await undoDrains({ journalPath: lab.base.journalPath });
    expect(put.restored).toHaveLength(1);
    expect(await lab.builtin.getWeight({ vip: lab.base.vip }, lab.base.drain)).toBe(1);
  });
});
