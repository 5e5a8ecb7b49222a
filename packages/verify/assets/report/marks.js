// @ts-check
// A uPlot path builder that draws one small rectangle per data point of a series (uPlot's faceted mode,
// data [xs, ys]): the marks of the timeline and the connect times. Points outside the visible scales
// are skipped, so a zoomed-in chart draws only what shows.

/**
 * @param {(u: uPlot, seriesIdx: number) => { w: number, h: number }} size mark width and height in CSS pixels
 * @returns {uPlot.Series.PathBuilder}
 */
function markPaths(size) {
  return (u, seriesIdx) => {
    /** @type {uPlot.Series.Paths | null} */
    let paths = null;
    uPlot.orient(
      u,
      seriesIdx,
      (_series, dataX, dataY, scaleX, scaleY, valToPosX, valToPosY, xOff, yOff, xDim, yDim, _moveTo, _lineTo, rect) => {
        const { w, h } = size(u, seriesIdx);
        // Whole device pixels: crisp marks, each a solid colour at its centre.
        const pw = Math.max(1, Math.round(w * uPlot.pxRatio));
        const ph = Math.max(1, Math.round(h * uPlot.pxRatio));
        const fill = new Path2D();
        const xMin = /** @type {number} */ (scaleX.min);
        const xMax = /** @type {number} */ (scaleX.max);
        const yLo = Math.min(/** @type {number} */ (scaleY.min), /** @type {number} */ (scaleY.max));
        const yHi = Math.max(/** @type {number} */ (scaleY.min), /** @type {number} */ (scaleY.max));
        // Thousands of rows share a pixel row: a mark where this series already has one adds nothing.
        const cols = Math.ceil(u.bbox.left + u.bbox.width) + pw + 1;
        const drawn = new Uint8Array(cols * (Math.ceil(u.bbox.top + u.bbox.height) + ph + 1));
        for (let i = 0; i < dataX.length; i++) {
          const x = /** @type {number} */ (dataX[i]);
          const y = /** @type {number} */ (dataY[i]);
          if (x < xMin || x > xMax || y < yLo || y > yHi) continue;
          const left = Math.round(valToPosX(x, scaleX, xDim, xOff) - pw / 2);
          const top = Math.round(valToPosY(y, scaleY, yDim, yOff) - ph / 2);
          const cell = (top + ph) * cols + left + pw;
          if (drawn[cell] === 1) continue;
          drawn[cell] = 1;
          rect(fill, left, top, pw, ph);
        }
        paths = { fill, stroke: null };
      },
    );
    return paths;
  };
}
