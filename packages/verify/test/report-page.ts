import type { Page } from 'playwright-core';

/**
 * Reading a drawn HTML report back in the browser: where a moment's line is on the time axis, and the
 * colour the chart's canvas has at a (time, row) point. The page keeps its uPlot charts on `window.ldk`.
 */

interface Box {
  left: number;
  width: number;
}
interface Plot {
  over: { querySelector(sel: string): { getBoundingClientRect(): Box; textContent: string | null } | null } & {
    getBoundingClientRect(): Box;
  };
  scales: { x: { min: number; max: number } };
  posToVal(px: number, scale: string): number;
  valToPos(value: number, scale: string, canvasPixels?: boolean): number;
  ctx: { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}
interface PageGlobals {
  ldk: { charts: Record<string, Plot> };
}

export type ChartName = 'old' | 'fresh' | 'latency';

export interface MarkerPosition {
  /** CSS pixels from the plot's left edge, the time the chart's scale gives there, and one pixel in ms. */
  x: number;
  ms: number;
  msPerPx: number;
  label: string;
}

/** The drawn line of a moment (`drain`, `restore`, `return`), read back through the chart's scale. */
export function markerPosition(page: Page, chart: ChartName, moment: string): Promise<MarkerPosition | undefined> {
  return page.evaluate(
    ([chart, moment]) => {
      const u = (globalThis as unknown as PageGlobals).ldk.charts[chart!]!;
      const el = u.over.querySelector(`.moment-${moment}`);
      if (!el) return undefined;
      const plot = u.over.getBoundingClientRect();
      const x = el.getBoundingClientRect().left - plot.left;
      return {
        x,
        ms: u.posToVal(x, 'x'),
        msPerPx: (u.scales.x.max - u.scales.x.min) / plot.width,
        label: el.textContent ?? '',
      };
    },
    [chart, moment],
  );
}

/** The RGBA of the chart's canvas at (ms, row): the mark drawn there, if any. */
export function pixelAt(page: Page, chart: ChartName, ms: number, row: number): Promise<number[]> {
  return page.evaluate(
    ([chart, ms, row]) => {
      const u = (globalThis as unknown as PageGlobals).ldk.charts[chart as string]!;
      // The device pixel the point falls in.
      const x = Math.floor(u.valToPos(ms as number, 'x', true));
      const y = Math.floor(u.valToPos(row as number, 'y', true));
      return Array.from(u.ctx.getImageData(x, y, 1, 1).data);
    },
    [chart, ms, row] as const,
  );
}

/** Where (ms, row) of a chart is on the page, in CSS pixels: for pointing at it. */
export function pagePoint(page: Page, chart: ChartName, ms: number, row: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ([chart, ms, row]) => {
      const u = (globalThis as unknown as PageGlobals).ldk.charts[chart as string]!;
      const plot = u.over.getBoundingClientRect() as Box & { top: number };
      return { x: plot.left + u.valToPos(ms as number, 'x'), y: plot.top + u.valToPos(row as number, 'y') };
    },
    [chart, ms, row] as const,
  );
}

/** `#rrggbb` as [r, g, b, 255]. */
export function rgba(hex: string): number[] {
  return [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).concat(255);
}

/** Two colours within `tolerance` on every channel. */
export function sameColor(a: readonly number[], b: readonly number[], tolerance = 6): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);
}
