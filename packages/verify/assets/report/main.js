// @ts-check
// Builds the page's charts and the table of old connections from the data block, keeps the charts'
// x axes zoomed together, and says which connection is under the pointer.

(() => {
  const started = performance.now();
  const block = document.getElementById('chart-data');
  /** @type {ChartData | null} */
  const data = block?.textContent ? JSON.parse(block.textContent) : null;
  /** @type {Record<string, uPlot>} */
  const charts = {};
  if (data) {
    const width = () => Math.max(480, /** @type {HTMLElement} */ (document.getElementById('charts')).clientWidth);
    const place = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
    charts.old = oldConnectionsChart(data, place('chart-old'), width());
    if (data.fresh.rows > 0) charts.fresh = freshConnectionsChart(data, place('chart-fresh'), width());
    if (data.latency.length > 0) charts.latency = latencyChart(data, place('chart-latency'), width());
    syncX(Object.values(charts));
    hoverReadout(data, charts.old, place('readout-old'));
    // Ten thousand rows cost a noticeable moment: built when the table is first opened.
    const details = /** @type {HTMLDetailsElement} */ (document.querySelector('#connections details'));
    details.addEventListener('toggle', function build() {
      if (!details.open) return;
      details.removeEventListener('toggle', build);
      connectionsTable(data, place('connections-body'));
    });
    let resizing = 0;
    addEventListener('resize', () => {
      clearTimeout(resizing);
      resizing = window.setTimeout(() => {
        for (const u of Object.values(charts)) u.setSize({ width: width(), height: u.height });
      }, 100);
    });
  }
  // Tests and people at the console reach the charts here; `renderedMs` is the page's own build time.
  /** @type {any} */ (window).ldk = { data, charts, renderedMs: performance.now() - started };
  document.documentElement.dataset.rendered = 'true';
})();

/** Zooming one chart's x axis (drag; double-click resets) zooms the others the same. */
function syncX(/** @type {uPlot[]} */ charts) {
  let busy = false;
  for (const u of charts) {
    u.hooks.setScale = [
      ...(u.hooks.setScale ?? []),
      (self, key) => {
        if (key !== 'x' || busy) return;
        busy = true;
        for (const other of charts) {
          if (other !== self)
            other.setScale('x', {
              min: /** @type {number} */ (self.scales.x.min),
              max: /** @type {number} */ (self.scales.x.max),
            });
        }
        busy = false;
      },
    ];
  }
}

/**
 * The connection and time under the pointer, in one line above the chart.
 * @param {ChartData} data
 * @param {uPlot} u
 * @param {HTMLElement} out
 */
function hoverReadout(data, u, out) {
  const c = data.connections;
  const initial = out.textContent;
  u.hooks.setCursor = [
    ...(u.hooks.setCursor ?? []),
    (self) => {
      const { left, top } = self.cursor;
      if (left === undefined || top === undefined || left < 0 || top < 0) {
        out.textContent = initial;
        return;
      }
      const row = Math.round(self.posToVal(top, 'y'));
      const i = data.old.connectionAtRow[row] ?? -1;
      const at = fmtMs(self.posToVal(left, 'x'));
      if (i < 0) {
        out.textContent = at;
        return;
      }
      const failed =
        c.failure[i] >= 0 ? `, then ${data.outcomes[c.failure[i]]} at ${fmtMs(c.failureMs[i])}` : ', no failure';
      out.textContent = `${at} · old#${i + 1} on ${data.outcomes[c.server[i]]}: ${c.answered[i]} lines answered${failed}`;
    },
  ];
}

/**
 * One table row per old connection: where it was, what it got, how it ended.
 * @param {ChartData} data
 * @param {HTMLElement} body
 */
function connectionsTable(data, body) {
  const c = data.connections;
  const names = data.outcomes.map(escapeHtml);
  const rows = new Array(c.server.length);
  for (let i = 0; i < c.server.length; i++) {
    const f = c.failure[i];
    const result =
      f >= 0 ? `<span class="fc fc-${names[f]}">${names[f]}</span> at ${fmtMs(c.failureMs[i])}` : 'answered every line';
    rows[i] =
      `<tr${f >= 0 ? ' class="fail"' : ''}><td>old#${i + 1}</td><td>${names[c.server[i]]}</td><td class="num">${c.answered[i]}</td><td>${result}</td></tr>`;
  }
  body.innerHTML = rows.join('');
}

function escapeHtml(/** @type {string} */ s) {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
