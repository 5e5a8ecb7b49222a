// @ts-check
// A uPlot plugin that shades the run's phases under the plot and draws the drain, restore and return
// moments as vertical lines over it: DOM elements placed with the chart's own scale on every redraw.

/**
 * @param {ChartData} data
 * @param {boolean} labels write the phase and moment names (on the first chart only)
 * @returns {uPlot.Plugin}
 */
function overlayPlugin(data, labels) {
  /** @type {Array<{ el: HTMLElement, from: number, to: number }>} */
  const phases = [];
  /** @type {Array<{ el: HTMLElement, ms: number }>} */
  const moments = [];
  return {
    hooks: {
      init: [
        (u) => {
          for (const p of data.phases) {
            const el = document.createElement('div');
            el.className = `phase phase-${p.id}`;
            el.title = `${p.id}: ${fmtMs(p.fromMs)} … ${fmtMs(p.toMs)}`;
            if (labels) el.textContent = p.id;
            u.under.append(el);
            phases.push({ el, from: p.fromMs, to: p.toMs });
          }
          for (const m of data.moments) {
            const el = document.createElement('div');
            el.className = `moment moment-${m.id}`;
            el.dataset.ms = String(m.ms);
            el.title = `${m.label} at ${fmtMs(m.ms)}`;
            if (labels) {
              const label = document.createElement('span');
              label.textContent = m.label;
              el.append(label);
            }
            u.over.append(el);
            moments.push({ el, ms: m.ms });
          }
        },
      ],
      draw: [
        (u) => {
          const width = u.over.clientWidth;
          for (const p of phases) {
            const left = Math.max(0, u.valToPos(p.from, 'x'));
            const right = Math.min(width, u.valToPos(p.to, 'x'));
            p.el.style.display = right > left ? '' : 'none';
            p.el.style.left = `${left}px`;
            p.el.style.width = `${Math.max(0, right - left)}px`;
          }
          for (const m of moments) {
            const x = u.valToPos(m.ms, 'x');
            m.el.style.display = x >= 0 && x <= width ? '' : 'none';
            m.el.style.left = `${x}px`;
          }
        },
      ],
    },
  };
}

/** Milliseconds since the drain as people read them: `+1.25 s`, `-40 ms`. */
function fmtMs(/** @type {number} */ ms) {
  const sign = ms > 0 ? '+' : ms < 0 ? '−' : '';
  const a = Math.abs(ms);
  return a < 1000 ? `${sign}${Math.round(a)} ms` : `${sign}${(a / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
}
