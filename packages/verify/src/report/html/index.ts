/** The HTML report: one self-contained file that draws the run in time (`--html`, `lvs-verify report`). */
import type { DrainReport } from '../types.js';
import { pageAssets } from './assets.js';
import { pageHtml } from './page.js';
import { shapeCharts } from './shape.js';

export function renderHtml(report: DrainReport): string {
  return pageHtml(report, shapeCharts(report), pageAssets());
}
