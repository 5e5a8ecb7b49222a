/**
 * The report's timeline turned into what the page's charts draw: marks per outcome at (time, row),
 * rows grouped by server, latency per server in time buckets, the phases and the moments. Pure: the
 * page only hands these arrays to uPlot.
 */
import { type DrainReport, type FAILURE_CLASSES, FRESH_KINDS, type PhaseId, type TimelineReport } from '../types.js';

/** Marks of one outcome (a server that answered, or a failure class) at (ms, row). */
export interface MarkSeries {
  label: string;
  color: string;
  failure: boolean;
  x: number[];
  /**
   * The rows of the marks, run-length encoded: `[row, count, row, count, …]`. Old connections' marks
   * come a row at a time, so this is a few numbers per row instead of one per line: half the page at 10,000.
   */
  yRuns: number[];
}

type Building = Omit<MarkSeries, 'yRuns'> & { y: number[] };

/** Consecutive rows under one label on the y axis. */
export interface RowGroup {
  label: string;
  from: number;
  to: number;
}

export interface LatencySeries {
  label: string;
  color: string;
  /** `line`: a value per time bucket; `baseline`: flat, before the drain; `marks`: one per connection. */
  kind: 'line' | 'baseline' | 'marks';
  /** A thinner line (p99 beside p50). */
  thin?: boolean;
  x: number[];
  /** Milliseconds; null where a bucket had no line (the line breaks there). */
  y: Array<number | null>;
}

export interface Moment {
  id: 'drain' | 'restore' | 'return';
  label: string;
  ms: number;
}

export interface PhaseSpan {
  id: PhaseId;
  fromMs: number;
  toMs: number;
}

export interface ChartData {
  /** What x = 0 is. */
  origin: 'drain' | 'start';
  range: [number, number];
  moments: Moment[];
  phases: PhaseSpan[];
  old: {
    rows: number;
    groups: RowGroup[];
    series: MarkSeries[];
    /** The connection (index into `connections`) on each row; -1 between groups. */
    connectionAtRow: number[];
  };
  fresh: { rows: number; groups: RowGroup[]; series: MarkSeries[] };
  latency: LatencySeries[];
  /** Per old connection (`old#(i+1)`): its server's name index, lines answered, and its failure if any. */
  connections: { server: number[]; answered: number[]; failure: number[]; failureMs: number[] };
  /** `outcomes` of the timeline: names for `connections.server` and `connections.failure`. */
  outcomes: string[];
}

const SERVER_COLORS = ['#2563eb', '#0d9488', '#4d7c0f', '#0891b2', '#64748b', '#1e3a8a', '#15803d', '#0e7490'];
export const FAILURE_COLORS: Record<(typeof FAILURE_CLASSES)[number], string> = {
  timeout: '#ea580c',
  reset: '#dc2626',
  closed: '#db2777',
  'wrong-host': '#9333ea',
  garbled: '#a16207',
};

export function outcomeColor(t: Pick<TimelineReport, 'outcomes' | 'serverCount'>, outcome: number): string {
  if (outcome < t.serverCount) return SERVER_COLORS[outcome % SERVER_COLORS.length]!;
  return FAILURE_COLORS[t.outcomes[outcome] as keyof typeof FAILURE_COLORS] ?? '#000000';
}

/** Everything the charts need, or undefined for a report without a timeline (older versions). */
export function shapeCharts(report: DrainReport): ChartData | undefined {
  const t = report.timeline;
  if (!t) return undefined;
  const origin = t.drainAtMs !== undefined ? 'drain' : 'start';
  const shift = t.drainAtMs ?? 0;
  const phases = report.phases.map((p) => ({
    id: p.id,
    fromMs: p.startMs - shift,
    toMs: p.startMs - shift + p.durationMs,
  }));
  const moments: Moment[] = [];
  if (t.drainAtMs !== undefined) moments.push({ id: 'drain', label: 'drain', ms: 0 });
  if (t.restoreMs !== undefined) moments.push({ id: 'restore', label: 'restore', ms: t.restoreMs });
  if (t.returnMs !== undefined) moments.push({ id: 'return', label: 'return', ms: t.returnMs });
  const old = shapeOld(report, t);
  const fresh = shapeFresh(report, t);
  const xs = [
    ...phases.flatMap((p) => [p.fromMs, p.toMs]),
    ...moments.map((m) => m.ms),
    ...old.series.flatMap((s) => minMax(s.x)),
    ...fresh.series.flatMap((s) => minMax(s.x)),
  ];
  return {
    origin,
    range: xs.length > 0 ? (minMax(xs) as [number, number]) : [0, 1],
    moments,
    phases,
    old,
    fresh,
    latency: shapeLatency(report, t),
    connections: shapeConnections(t),
    outcomes: t.outcomes,
  };
}

/** The first index of each old connection's lines in `probes`. */
export function probeStarts(t: TimelineReport): number[] {
  const starts = new Array<number>(t.old.probes.length);
  for (let i = 0, at = 0; i < starts.length; i++) {
    starts[i] = at;
    at += t.old.probes[i]!;
  }
  return starts;
}

/**
 * One row per old connection, grouped by the server it was on (in the report's server order), a gap
 * of a few rows between groups; a mark per line, in one series per outcome.
 */
function shapeOld(report: DrainReport, t: TimelineReport): ChartData['old'] {
  const n = t.old.server.length;
  const gap = Math.max(1, Math.round(n / 100));
  const rowOf = new Array<number>(n);
  const groups: RowGroup[] = [];
  const connectionAtRow: number[] = [];
  for (let s = 0; s < t.serverCount; s++) {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (t.old.server[i] === s) members.push(i);
    if (members.length === 0) continue;
    if (groups.length > 0) for (let g = 0; g < gap; g++) connectionAtRow.push(-1);
    const from = connectionAtRow.length;
    for (const i of members) {
      rowOf[i] = connectionAtRow.length;
      connectionAtRow.push(i);
    }
    const name = t.outcomes[s]!;
    const drained = name === report.drain.name;
    groups.push({
      label: `${name}${drained ? ' (drained)' : ''} · ${members.length}`,
      from,
      to: connectionAtRow.length - 1,
    });
  }
  const series = emptySeries(t);
  const starts = probeStarts(t);
  for (let i = 0; i < n; i++) {
    for (let p = starts[i]!, end = p + t.old.probes[i]!; p < end; p++) {
      const s = series[t.probes.outcome[p]!]!;
      s.x.push(t.probes.sentMs[p]!);
      s.y.push(rowOf[i]!);
    }
  }
  return { rows: connectionAtRow.length, groups, series: withMarks(series), connectionAtRow };
}

/**
 * A row per kind of fresh connection and where it went (`new → rs2`, `new ✗ no answer`); a connection
 * after the drain that reached the drained server says so on its row.
 */
function shapeFresh(report: DrainReport, t: TimelineReport): ChartData['fresh'] {
  const keys = new Map<string, { kind: number; outcome: number }>();
  const f = t.fresh;
  for (let i = 0; i < f.kind.length; i++) {
    const failed = f.outcome[i]! >= t.serverCount;
    keys.set(`${f.kind[i]}:${failed ? 'x' : f.outcome[i]}`, { kind: f.kind[i]!, outcome: failed ? -1 : f.outcome[i]! });
  }
  const order = [...keys.entries()].sort(
    ([, a], [, b]) => a.kind - b.kind || (a.outcome < 0 ? 1e9 : a.outcome) - (b.outcome < 0 ? 1e9 : b.outcome),
  );
  const rowOf = new Map(order.map(([key], row) => [key, row]));
  const drained = (k: { kind: number; outcome: number }) =>
    FRESH_KINDS[k.kind] !== 'return' && k.outcome >= 0 && t.outcomes[k.outcome] === report.drain.name;
  const groups = order.map(([, k], row) => ({
    label: `${FRESH_KINDS[k.kind]} ${k.outcome < 0 ? '✗ no answer' : `→ ${t.outcomes[k.outcome]}`}${drained(k) ? ' (drained!)' : ''}`,
    from: row,
    to: row,
  }));
  const series = emptySeries(t);
  for (let i = 0; i < f.kind.length; i++) {
    const failed = f.outcome[i]! >= t.serverCount;
    const s = series[f.outcome[i]!]!;
    s.x.push(f.sentMs[i]!);
    s.y.push(rowOf.get(`${f.kind[i]}:${failed ? 'x' : f.outcome[i]}`)!);
  }
  return { rows: order.length, groups, series: withMarks(series) };
}

function emptySeries(t: TimelineReport): Building[] {
  return t.outcomes.map((label, o) => ({
    label,
    color: outcomeColor(t, o),
    failure: o >= t.serverCount,
    x: [],
    y: [],
  }));
}

/** Only outcomes that happened, failures last (drawn on top). */
function withMarks(series: Building[]): MarkSeries[] {
  return series
    .filter((s) => s.x.length > 0)
    .sort((a, b) => Number(a.failure) - Number(b.failure))
    .map(({ y, ...s }) => ({ ...s, yRuns: runLengths(y) }));
}

/** `[5, 5, 5, 7]` → `[5, 3, 7, 1]`. */
export function runLengths(values: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j++;
    out.push(values[i]!, j - i);
    i = j;
  }
  return out;
}

/**
 * Per server: the round trip of its old connections' answered lines per time bucket (p50 and p99),
 * the p50 before the drain as a flat baseline, and connect times (old connections' and fresh ones').
 * The chart's scale is logarithmic: a time under the report's resolution (0.1 ms) is drawn at 0.05 ms.
 */
function shapeLatency(report: DrainReport, t: TimelineReport): LatencySeries[] {
  const out: LatencySeries[] = [];
  const ms = (tenths: number) => Math.max(0.05, tenths / 10);
  const [lo = 0, hi = 0] = minMax(t.probes.sentMs);
  const span = Math.max(1, hi - lo);
  const bucketMs = Math.max(report.settings.intervalMs, Math.ceil(span / 300));
  for (let s = 0; s < t.serverCount; s++) {
    const name = t.outcomes[s]!;
    const color = outcomeColor(t, s);
    const buckets = new Map<number, number[]>();
    const before: number[] = [];
    for (let p = 0; p < t.probes.outcome.length; p++) {
      if (t.probes.outcome[p] !== s) continue;
      const took = ms(t.probes.tookTenths[p]!);
      const at = t.probes.sentMs[p]!;
      if (t.drainAtMs !== undefined && at < 0) before.push(took);
      const b = Math.floor(at / bucketMs);
      const list = buckets.get(b);
      if (list) list.push(took);
      else buckets.set(b, [took]);
    }
    if (buckets.size > 0) {
      // Every bucket from the first to the last: one without lines (the drain, a pause) breaks the line.
      const [first = 0, last = 0] = minMax([...buckets.keys()]);
      const keys = Array.from({ length: last - first + 1 }, (_, k) => first + k);
      const x = keys.map((b) => b * bucketMs + bucketMs / 2);
      // A typed array sorts numbers without a comparator call per pair.
      const sorted = keys.map((b) => {
        const values = buckets.get(b);
        return values ? Float64Array.from(values).sort() : undefined;
      });
      const at = (q: number) => sorted.map((v) => (v ? quantile(v, q) : null));
      out.push({ label: `${name} round trip p50`, color, kind: 'line', x, y: at(0.5) });
      out.push({ label: `${name} p99`, color, kind: 'line', thin: true, x, y: at(0.99) });
    }
    if (before.length > 0) {
      const base = quantile(Float64Array.from(before).sort(), 0.5);
      out.push({ label: `${name} p50 before the drain`, color, kind: 'baseline', x: [], y: [base] });
    }
    const connect: { x: number[]; y: number[] } = { x: [], y: [] };
    for (let i = 0; i < t.old.server.length; i++) {
      if (t.old.server[i] !== s) continue;
      connect.x.push(t.old.openedMs[i]!);
      connect.y.push(ms(t.old.connectTenths[i]!));
    }
    for (let i = 0; i < t.fresh.kind.length; i++) {
      if (t.fresh.outcome[i] !== s || t.fresh.connectTenths[i]! < 0) continue;
      connect.x.push(t.fresh.sentMs[i]!);
      connect.y.push(ms(t.fresh.connectTenths[i]!));
    }
    if (connect.x.length > 0) out.push({ label: `${name} connect`, color, kind: 'marks', ...connect });
  }
  return out;
}

/** Lines answered per old connection, and how and when its first failure came. */
function shapeConnections(t: TimelineReport): ChartData['connections'] {
  const n = t.old.server.length;
  const out = {
    server: [...t.old.server],
    answered: new Array<number>(n).fill(0),
    failure: new Array<number>(n).fill(-1),
    failureMs: new Array<number>(n).fill(0),
  };
  const starts = probeStarts(t);
  for (let i = 0; i < n; i++) {
    for (let p = starts[i]!, end = p + t.old.probes[i]!; p < end; p++) {
      if (t.probes.outcome[p]! < t.serverCount) out.answered[i]!++;
      else if (out.failure[i] === -1) {
        out.failure[i] = t.probes.outcome[p]!;
        out.failureMs[i] = t.probes.sentMs[p]!;
      }
    }
  }
  return out;
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function minMax(xs: readonly number[]): number[] {
  if (xs.length === 0) return [];
  let lo = xs[0]!;
  let hi = xs[0]!;
  for (const x of xs) {
    if (x < lo) lo = x;
    else if (x > hi) hi = x;
  }
  return [lo, hi];
}
