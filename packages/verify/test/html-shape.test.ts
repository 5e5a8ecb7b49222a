import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { htmlAscii, jsAscii, jsonForScript } from '../src/report/html/escape.js';
import { renderHtml } from '../src/report/html/index.js';
import { FAILURE_COLORS, quantile, runLengths, shapeCharts } from '../src/report/html/shape.js';
import { stringifyReport } from '../src/report/json.js';
import { parseReport } from '../src/report/read.js';
import type { DrainReport, TimelineReport } from '../src/report/types.js';
import { syntheticReport } from './synthetic-report.js';

/** rs1 (drained) holds old#1 and old#3, rs2 old#2; old#3 is reset after the drain. */
function small(): DrainReport {
  const report = syntheticReport({ connections: 4, holdMs: 400, intervalMs: 200, newConnections: 2 });
  const t: TimelineReport = {
    outcomes: ['rs1', 'rs2', 'timeout', 'reset', 'closed', 'wrong-host', 'garbled'],
    serverCount: 2,
    drainAtMs: 100,
    restoreMs: 500,
    returnMs: 510,
    old: { server: [0, 1, 0], openedMs: [-60, -50, -40], connectTenths: [5, 6, 0], probes: [3, 3, 2] },
    probes: {
      sentMs: [-60, 10, 210, -50, 11, 211, -40, 12],
      tookTenths: [10, 20, 40, 30, 30, 30, 10, 3],
      outcome: [0, 0, 0, 1, 1, 1, 0, 3],
    },
    fresh: {
      kind: [0, 0, 0, 1, 2],
      sentMs: [420, 430, 440, 450, 510],
      connectTenths: [4, 4, -1, 5, 6],
      outcome: [1, 1, 2, 1, 0],
    },
  };
  return { ...report, timeline: t };
}

describe('shapeCharts', () => {
  it('puts each old connection on a row, grouped by server with a gap, a series per outcome, failures last', () => {
    const c = shapeCharts(small())!;
    expect(c.origin).toBe('drain');
    expect(c.old.groups).toEqual([
      { label: 'rs1 (drained) · 2', from: 0, to: 1 },
      { label: 'rs2 · 1', from: 3, to: 3 },
    ]);
    expect(c.old.connectionAtRow).toEqual([0, 2, -1, 1]);
    expect(c.old.series.map((s) => [s.label, s.failure])).toEqual([
      ['rs1', false],
      ['rs2', false],
      ['reset', true],
    ]);
    const [rs1, rs2, reset] = c.old.series;
    expect(rs1!.x).toEqual([-60, 10, 210, -40]);
    expect(rs1!.yRuns).toEqual([0, 3, 1, 1]);
    expect(rs2!.yRuns).toEqual([3, 3]);
    expect(reset).toMatchObject({ x: [12], yRuns: [1, 1], color: FAILURE_COLORS.reset });
  });

  it('gives fresh connections a row per kind and destination, failures last in their kind', () => {
    const c = shapeCharts(small())!;
    expect(c.fresh.groups.map((g) => g.label)).toEqual([
      'new → rs2',
      'new ✗ no answer',
      'reused-port → rs2',
      'return → rs1',
    ]);
    const timeout = c.fresh.series.find((s) => s.label === 'timeout')!;
    expect(timeout).toMatchObject({ x: [440], yRuns: [1, 1], failure: true });
    expect(c.fresh.series.find((s) => s.label === 'rs1')).toMatchObject({ x: [510], yRuns: [3, 1] });
    expect(c.fresh.series.find((s) => s.label === 'rs2')).toMatchObject({ x: [420, 430, 450], yRuns: [0, 2, 2, 1] });
    // A new connection on the drained server is named so on its row; a return to it is what should happen.
    const leaked = small();
    leaked.timeline!.fresh.outcome[1] = 0;
    expect(shapeCharts(leaked)!.fresh.groups.map((g) => g.label)).toContain('new → rs1 (drained!)');
    expect(shapeCharts(leaked)!.fresh.groups.map((g) => g.label)).toContain('return → rs1');
  });

  it('shifts the phases to the drain, and names the moments', () => {
    const r = small();
    const c = shapeCharts(r)!;
    expect(c.phases[0]).toEqual({ id: 'preflight', fromMs: -100, toMs: r.phases[0]!.durationMs - 100 });
    expect(c.moments).toEqual([
      { id: 'drain', label: 'drain', ms: 0 },
      { id: 'restore', label: 'restore', ms: 500 },
      { id: 'return', label: 'return', ms: 510 },
    ]);
    expect(c.range[0]).toBeLessThanOrEqual(-100);
    expect(c.range[1]).toBeGreaterThanOrEqual(510);
  });

  it('latency: round trips per interval bucket (p50, p99), the p50 before the drain, connect times', () => {
    const c = shapeCharts(small())!;
    const rs1 = c.latency.filter((s) => s.label.startsWith('rs1'));
    expect(rs1.map((s) => s.kind)).toEqual(['line', 'line', 'baseline', 'marks']);
    // Buckets of 200 ms: [-200, 0) holds the two hellos (1.0, 1.0), [0, 200) one line (2.0), [200, 400) one (4.0).
    expect(rs1[0]).toMatchObject({ x: [-100, 100, 300], y: [1, 2, 4] });
    // A bucket without lines breaks the line.
    const gap = small();
    gap.timeline!.probes.sentMs[2] = 610;
    const rs1gap = shapeCharts(gap)!.latency[0]!;
    expect(rs1gap).toMatchObject({ x: [-100, 100, 300, 500, 700], y: [1, 2, null, null, 4] });
    expect(rs1[2]!.y).toEqual([1]);
    // Connect times: the old connections' (0 ms drawn at the log scale's floor) and the return's.
    expect(rs1[3]).toMatchObject({ x: [-60, -40, 510], y: [0.5, 0.05, 0.6] });
  });

  it('counts each old connection’s answered lines and its first failure', () => {
    const c = shapeCharts(small())!;
    expect(c.connections).toEqual({
      server: [0, 1, 0],
      answered: [3, 3, 1],
      failure: [-1, -1, 3],
      failureMs: [0, 0, 12],
    });
  });

  it('counts from the start when nothing was drained; no timeline, no charts', () => {
    const r = small();
    const { drainAtMs: _, ...rest } = r.timeline!;
    const c = shapeCharts({ ...r, timeline: rest })!;
    expect(c.origin).toBe('start');
    expect(c.moments.map((m) => m.id)).toEqual(['restore', 'return']);
    expect(c.phases[0]!.fromMs).toBe(0);
    expect(shapeCharts({ ...r, timeline: undefined })).toBeUndefined();
  });

  it('run-length encodes rows', () => {
    expect(runLengths([])).toEqual([]);
    expect(runLengths([5, 5, 5, 7, 5])).toEqual([5, 3, 7, 1, 5, 1]);
  });

  it('quantile is nearest-rank', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('the page', () => {
  it('escapes what the report says, in text and in the data block', () => {
    const r = small();
    r.checks[0]!.message = '<img src=x onerror=alert(1)>';
    r.timeline!.outcomes[1] = '</script><script>alert(2)</script>';
    const html = renderHtml(r);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('</script><script>alert(2)');
    expect(JSON.parse(jsonForScript({ a: '</script>' }))).toEqual({ a: '</script>' });
    expect(jsonForScript({ a: '</script>' })).not.toContain('<');
  });

  it('is all ASCII: other characters escaped for HTML, JSON and JavaScript alike', () => {
    const r = small();
    r.checks[0]!.message = 'weight 1 → 0 · ✓ 🙂';
    const html = renderHtml(r);
    expect(html).toMatch(/^[\x20-\x7e\n\t]*$/);
    expect(html).toContain('weight 1 &#x2192; 0 &#xb7; &#x2713; &#x1f642;');
    expect(htmlAscii('→🙂')).toBe('&#x2192;&#x1f642;');
    expect(JSON.parse(jsAscii(JSON.stringify({ a: '→🙂' })))).toEqual({ a: '→🙂' });
    // In a string and in a template literal of a script.
    const source = `'−' + \`·$` + '{1}`';
    expect(new Function(`return ${jsAscii(source)}`)()).toBe('−·1');
  });

  it('is one file: no src or href that would fetch, and a policy that forbids fetching', () => {
    const html = renderHtml(small());
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect(html).toContain(`content="default-src 'none'`);
    expect(html).toContain('uPlot');
  });

  it('says so when the report has no timeline', () => {
    const html = renderHtml({ ...small(), timeline: undefined });
    expect(html).toContain('This report has no timeline');
  });
});

describe('parseReport (lvs-verify report FILE.json)', () => {
  it('reads a saved --json report back', () => {
    const r = small();
    expect(parseReport(stringifyReport(r), 'r.json')).toEqual(JSON.parse(JSON.stringify(r)));
  });

  it('refuses what is not a drain-test report, or a damaged timeline, with a usage error', () => {
    expect(() => parseReport('{', 'a.json')).toThrow(UsageError);
    expect(() => parseReport('{"tool":"other"}', 'a.json')).toThrow(/not a drain-test --json report/);
    const r = small();
    r.timeline!.probes.outcome.pop();
    expect(() => parseReport(JSON.stringify(r), 'a.json')).toThrow(/columns of different lengths/);
    const s = small();
    s.timeline!.probes.outcome[0] = 99;
    expect(() => parseReport(JSON.stringify(s), 'a.json')).toThrow(/outcome out of range/);
  });
});
