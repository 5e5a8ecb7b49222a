import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TimelineRecorder } from '../src/measure/timeline.js';
import { stringifyReport } from '../src/report/json.js';
import { type DrainReport, FRESH_KINDS } from '../src/report/types.js';
import { runDrainTest } from '../src/run/drain-test.js';
import { BASELINE_ROUNDS } from '../src/run/old-connections-survive.js';
import { startInProcessLab } from './in-process-lab.js';

const servers = new Map([
  ['rs1', {}],
  ['rs2', {}],
]);

describe('TimelineRecorder', () => {
  it('groups lines by connection, in drain-relative whole ms and tenths of a ms', () => {
    // Times as performance.now() gives them: a failure's duration runs until now.
    const start = performance.now() - 10_000;
    const at = (ms: number) => start + ms;
    const t = new TimelineRecorder();
    const t0 = at(1000);
    const drainAt = at(1100);
    t.opened('old#1', 'rs1', at(1010), 0.42, { ok: true, host: 'rs1', rttMs: 0.31 });
    t.opened('old#2', 'rs2', at(1020.4), 0.5, { ok: true, host: 'rs2', rttMs: 0.2 });
    // Interleaved as in the hold.
    t.probe('old#1', at(1150), { ok: true, host: 'rs1', rttMs: 1.26 });
    t.probe('old#2', at(1150.6), { ok: true, host: 'rs2', rttMs: 0.9 });
    t.probe('old#2', at(1350), { ok: false, class: 'reset' });
    t.probe('old#1', at(1350), { ok: true, host: 'rs1', rttMs: 2 });
    t.probe('old#9', at(1350), { ok: true, host: 'rs1', rttMs: 2 });
    t.fresh('new', at(1400), 0.33, { ok: true, host: 'rs2', rttMs: 0.5 });
    t.fresh('new', at(1410), undefined, { ok: false, class: 'timeout' });
    t.restored(at(1500));
    t.fresh('return', at(1510), 0.4, { ok: true, host: 'rs2', rttMs: 0.5 });
    t.fresh('return', at(1520), 0.4, { ok: true, host: 'rs1', rttMs: 0.5 });
    const r = t.report({ t0, drainAt, servers, drainedName: 'rs1' });
    expect(r.outcomes).toEqual(['rs1', 'rs2', 'timeout', 'reset', 'closed', 'wrong-host', 'garbled']);
    expect(r.serverCount).toBe(2);
    expect(r).toMatchObject({ drainAtMs: 100, restoreMs: 400, returnMs: 420 });
    expect(r.old).toEqual({ server: [0, 1], openedMs: [-90, -80], connectTenths: [4, 5], probes: [3, 3] });
    expect(r.probes.sentMs).toEqual([-90, 50, 250, -79, 51, 250]);
    expect(r.probes.outcome).toEqual([0, 0, 0, 1, 1, 3]);
    expect(r.probes.tookTenths.slice(0, 5)).toEqual([3, 13, 20, 2, 9]);
    // A failure's time is until it was seen: now, long after the made-up send time.
    expect(r.probes.tookTenths[5]).toBeGreaterThan(0);
    expect(r.fresh).toEqual({
      kind: [0, 0, 2, 2],
      sentMs: [300, 310, 410, 420],
      connectTenths: [3, -1, 4, 4],
      outcome: [1, 2, 1, 0],
    });
  });

  it('counts from the run start when nothing was drained, and names hosts nobody listed', () => {
    const t = new TimelineRecorder();
    t.opened('old#1', 'rs2', 1010, 1, { ok: true, host: 'rs2', rttMs: 1 });
    t.fresh('new', 1050, 1, { ok: true, host: 'stranger', rttMs: 1 });
    const r = t.report({ t0: 1000, drainAt: undefined, servers, drainedName: 'rs1' });
    expect(r.drainAtMs).toBeUndefined();
    expect(r.returnMs).toBeUndefined();
    expect(r.outcomes.slice(0, 3)).toEqual(['rs1', 'rs2', 'stranger']);
    expect(r.serverCount).toBe(3);
    expect(r.old.openedMs).toEqual([10]);
    expect(r.old.server).toEqual([1]);
    expect(r.fresh.outcome).toEqual([2]);
  });
});

describe('stringifyReport', () => {
  it('indents objects, keeps flat arrays on one line, and reads back the same', () => {
    const report = {
      tool: 'lvs-verify',
      checks: [{ id: 'drain', failures: [], note: 'a "quoted" @flat-0-1 string' }],
      timeline: { probes: { sentMs: [1, -2, 3] }, outcomes: ['rs1', 'reset'] },
      skipped: undefined,
    } as unknown as DrainReport;
    const text = stringifyReport(report);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(report)));
    expect(text).toContain('"sentMs": [1,-2,3]');
    expect(text).toContain('"outcomes": ["rs1","reset"]');
    expect(text).toContain('\n  "checks": [\n    {\n      "id": "drain",');
  });
});

describe('the timeline of a real run (in-process lab)', () => {
  it('has every reply the servers were counted for, the hold after the drain, the moments in their phases', async () => {
    const lab = await startInProcessLab(pino({ level: 'silent' }));
    try {
      const report = await runDrainTest({ ...lab.base, driver: lab.builtin });
      expect(report.verdict).toBe('pass');
      const t = report.timeline!;
      const n = report.servers.reduce((a, s) => a + s.connectionsBefore, 0);
      expect(t.old.server).toHaveLength(n);
      // Every reply counted per server is a line or a fresh connection on the timeline, and no more.
      const answered = [...t.probes.outcome, ...t.fresh.outcome].filter((o) => o < t.serverCount).length;
      expect(answered).toBe(report.servers.reduce((a, s) => a + s.replies, 0));
      // The hello and the baseline rounds before the drain command, lines through it, then one line a
      // round through the hold after the drain took effect.
      const rounds = report.verifier.hold!.rounds;
      let p = 0;
      for (let i = 0; i < n; i++) {
        const sent = t.probes.sentMs.slice(p, p + t.old.probes[i]!);
        expect(t.probes.outcome[p]).toBe(t.old.server[i]);
        expect(sent).toEqual([...sent].sort((a, b) => a - b));
        expect(sent.filter((ms) => ms < 0).length).toBeGreaterThanOrEqual(1 + BASELINE_ROUNDS);
        // -0: sent a fraction of a ms before the drain took effect, rounded.
        const afterDrain = (ms: number) => ms >= 0 && !Object.is(ms, -0);
        expect(sent.filter((ms) => afterDrain(ms) && ms < report.settings.holdMs)).toHaveLength(rounds);
        p += t.old.probes[i]!;
      }
      const kinds = t.fresh.kind.map((k) => FRESH_KINDS[k]);
      expect(kinds.filter((k) => k === 'new')).toHaveLength(report.settings.newConnections);
      // The reused-port probe is on the timeline exactly when the check ran it (a machine too busy to
      // free the port in time skips it, saying so).
      const reused = report.checks.find((c) => c.id === 'reused-source-port')!;
      expect(
        kinds.filter((k) => k === 'reused-port'),
        reused.message,
      ).toHaveLength(reused.status === 'skip' ? 0 : 1);
      expect(t.outcomes[t.fresh.outcome.at(-1)!]).toBe('rs1');
      const phase = (id: string) => report.phases.find((x) => x.id === id)!;
      const within = (ms: number, id: string) => {
        const ph = phase(id);
        expect(ms, id).toBeGreaterThanOrEqual(ph.startMs);
        expect(ms, id).toBeLessThanOrEqual(ph.startMs + ph.durationMs);
      };
      within(t.drainAtMs!, 'drain');
      within(t.drainAtMs! + t.restoreMs!, 'restore');
      expect(t.returnMs).toBeGreaterThanOrEqual(t.restoreMs!);
    } finally {
      await lab.close();
    }
  });
});
