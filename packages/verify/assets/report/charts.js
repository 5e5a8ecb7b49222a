// @ts-check
// The three charts of the page, all on one x axis (milliseconds since the drain): the old connections'
// lines, the fresh connections, and latency per server. Each takes its arrays ready-made from the data block.

/**
 * Room for the y axes' labels: the widest label of any chart, the same on every chart so their plot
 * areas (and time axes) line up.
 * @param {ChartData} data
 */
function yAxisSize(data) {
  const ctx = /** @type {CanvasRenderingContext2D} */ (document.createElement('canvas').getContext('2d'));
  ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';
  const labels = [...data.old.groups, ...data.fresh.groups].map((g) => g.label).concat('1,000 ms');
  const widest = Math.max(...labels.map((l) => ctx.measureText(l).width));
  return Math.min(320, Math.ceil(widest) + 24);
}

/**
 * @param {ChartData} data
 * @param {{ width: number, height: number, y: uPlot.Scale, yAxis: uPlot.Axis, series: uPlot.Series[], dragY: boolean, labels: boolean }} o
 * @returns {uPlot.Options}
 */
function chartOptions(data, o) {
  const [lo, hi] = data.range;
  const pad = Math.max(1, (hi - lo) * 0.01);
  return {
    mode: 2,
    width: o.width,
    height: o.height,
    padding: [o.labels ? 18 : 8, 16, 0, 0],
    legend: { live: false },
    cursor: { drag: { x: true, y: o.dragY, uni: 20 }, points: { show: false } },
    scales: {
      x: { time: false, auto: false, range: () => [lo - pad, hi + pad] },
      y: o.y,
    },
    axes: [
      {
        scale: 'x',
        label: data.origin === 'drain' ? 'time since the drain' : 'time since the start',
        labelSize: 20,
        space: 64,
        values: (_u, splits, _axis, _space, incr) => splits.map((v) => fmtTick(v, incr)),
      },
      { scale: 'y', size: yAxisSize(data), ...o.yAxis },
    ],
    series: [{}, ...o.series],
    plugins: [overlayPlugin(data, o.labels)],
  };
}

/**
 * uPlot data for mark series: [null, [xs, ys], ...].
 * @param {MarkSeries[]} series
 * @returns {uPlot.AlignedData}
 */
function markData(series) {
  return /** @type {uPlot.AlignedData} */ (
    /** @type {unknown} */ ([null, ...series.map((s) => [s.x, expandRuns(s.yRuns)])])
  );
}

/**
 * `[row, count, row, count, …]` back to one row per mark.
 * @param {number[]} runs
 */
function expandRuns(runs) {
  let n = 0;
  for (let i = 1; i < runs.length; i += 2) n += runs[i];
  const out = new Array(n);
  for (let i = 0, at = 0; i < runs.length; i += 2) {
    out.fill(runs[i], at, at + runs[i + 1]);
    at += runs[i + 1];
  }
  return out;
}

/**
 * @param {MarkSeries} s
 * @param {(u: uPlot, failure: boolean) => { w: number, h: number }} size
 * @returns {uPlot.Series}
 */
function markSeries(s, size) {
  return {
    label: `${s.label} · ${s.x.length.toLocaleString('en')}`,
    stroke: s.color,
    fill: s.color,
    width: 0,
    class: s.failure ? 'failure' : 'answer',
    paths: markPaths((u) => size(u, s.failure)),
    points: { show: false },
    facets: [
      { scale: 'x', auto: false },
      { scale: 'y', auto: false },
    ],
  };
}

/**
 * Y axis of rows: a label in the middle of each group; a grid line per row while rows are few.
 * @param {RowGroup[]} groups
 * @param {number} rows
 * @returns {uPlot.Axis}
 */
function rowAxis(groups, rows) {
  const labelled = new Map(groups.map((g) => [(g.from + g.to) / 2, g.label]));
  return {
    splits: () =>
      rows <= 60
        ? [...new Set([...Array.from({ length: rows }, (_, i) => i), ...labelled.keys()])]
        : [...labelled.keys()],
    values: (_u, splits) => splits.map((v) => labelled.get(v) ?? ''),
    grid: { show: rows <= 60, stroke: '#eef0f3', width: 1 },
    ticks: { show: false },
  };
}

/** Rows from 0 at the top. */
function rowScale(/** @type {number} */ rows) {
  return /** @type {uPlot.Scale} */ ({ auto: false, dir: -1, range: () => [-0.5, Math.max(0.5, rows - 0.5)] });
}

/**
 * Old connections: one row each, grouped by server, a mark per line coloured by who answered (failures bigger).
 * @param {ChartData} data
 * @param {HTMLElement} el
 * @param {number} width
 */
function oldConnectionsChart(data, el, width) {
  const rows = data.old.rows;
  const height = Math.min(560, Math.max(150, rows * 18)) + 60;
  const rowPx = (/** @type {uPlot} */ u) => {
    const [a, b] = [u.scales.y.min ?? 0, u.scales.y.max ?? 1];
    return u.bbox.height / uPlot.pxRatio / Math.max(1, Math.abs(b - a));
  };
  const size = (/** @type {uPlot} */ u, /** @type {boolean} */ failure) => {
    const h = rowPx(u);
    return failure
      ? { w: 7, h: Math.max(7, Math.min(14, h * 0.9)) }
      : { w: 2.5, h: Math.max(1, Math.min(12, h * 0.7)) };
  };
  return marksChart(data, data.old, rows, el, { width, height, size, dragY: true, labels: true });
}

/**
 * Fresh connections: a row per kind and destination (`new → rs2`, `return → rs1`, `new ✗ no answer`).
 * @param {ChartData} data
 * @param {HTMLElement} el
 * @param {number} width
 */
function freshConnectionsChart(data, el, width) {
  const rows = Math.max(1, data.fresh.rows);
  const size = (/** @type {uPlot} */ _u, /** @type {boolean} */ failure) =>
    failure ? { w: 7, h: 14 } : { w: 3, h: 12 };
  return marksChart(data, data.fresh, rows, el, { width, height: rows * 24 + 70, size, dragY: false, labels: false });
}

/**
 * A chart of marks on rows, labelled by group (both connection charts): its series' marks, sized by `size`.
 * @param {ChartData} data
 * @param {{ groups: RowGroup[], series: MarkSeries[] }} part
 * @param {number} rows
 * @param {HTMLElement} el
 * @param {{ width: number, height: number, size: (u: uPlot, failure: boolean) => { w: number, h: number }, dragY: boolean, labels: boolean }} o
 */
function marksChart(data, part, rows, el, o) {
  const opts = chartOptions(data, {
    width: o.width,
    height: o.height,
    y: rowScale(rows),
    yAxis: rowAxis(part.groups, rows),
    series: part.series.map((s) => markSeries(s, o.size)),
    dragY: o.dragY,
    labels: o.labels,
  });
  return new uPlot(opts, markData(part.series), el);
}

/**
 * Latency per server on a log scale: round trip p50 (and p99, thin) per time bucket, the p50 before the
 * drain as a dashed baseline, connect times as marks.
 * @param {ChartData} data
 * @param {HTMLElement} el
 * @param {number} width
 */
function latencyChart(data, el, width) {
  const [lo, hi] = data.range;
  /** @type {uPlot.Series[]} */
  const series = [];
  /** @type {unknown[]} */
  const columns = [null];
  for (const s of data.latency) {
    const facets = /** @type {uPlot.Series.Facet[]} */ ([
      { scale: 'x', auto: false },
      { scale: 'y', auto: true },
    ]);
    if (s.kind === 'marks') {
      series.push({
        label: `${s.label} (ms)`,
        stroke: s.color,
        fill: `${s.color}99`,
        width: 0,
        paths: markPaths(() => ({ w: 4, h: 4 })),
        points: { show: false },
        facets,
      });
      columns.push([s.x, s.y]);
    } else if (s.kind === 'baseline') {
      series.push({ label: s.label, stroke: s.color, width: 1.5, dash: [6, 4], points: { show: false }, facets });
      columns.push([
        [lo, hi],
        [s.y[0], s.y[0]],
      ]);
    } else {
      series.push({
        label: s.label,
        stroke: s.color,
        width: s.thin ? 1 : 2,
        alpha: s.thin ? 0.5 : 1,
        points: { show: false },
        facets,
      });
      columns.push([s.x, s.y]);
    }
  }
  const opts = chartOptions(data, {
    width,
    height: 300,
    y: { distr: 3, log: 10, range: (_u, min, max) => uPlot.rangeLog(min ?? 0.01, max ?? 1, 10, true) },
    // uPlot leaves some splits of a log scale unlabelled (null).
    yAxis: { values: (_u, splits) => splits.map((v) => (v == null ? '' : `${fmtNumber(v)} ms`)) },
    series,
    dragY: false,
    labels: false,
  });
  return new uPlot(opts, /** @type {uPlot.AlignedData} */ (/** @type {unknown} */ (columns)), el);
}

/** A latency axis value: `0.05`, `2`, `1,000`. */
function fmtNumber(/** @type {number} */ v) {
  return v >= 1 ? Math.round(v).toLocaleString('en') : String(Number(v.toPrecision(2)));
}

/** A time axis tick: ms while ticks are under 100 ms apart, else seconds with the decimals the step needs. */
function fmtTick(/** @type {number} */ ms, /** @type {number} */ step) {
  if (ms === 0) return '0';
  const sign = ms > 0 ? '+' : '−';
  const a = Math.abs(ms);
  if (step < 100) return `${sign}${Math.round(a)} ms`;
  const decimals = step >= 1000 ? 0 : step % 100 === 0 ? 1 : 2;
  return `${sign}${(a / 1000).toFixed(decimals)} s`;
}
