/**
 * The HTML report's size and the time it takes to open, at 2 … 10,000 old connections: a drain-test
 * report of each size (synthetic, with a real run's shape: 5 s hold, a line every 200 ms) rendered,
 * then opened in headless Chromium until its charts are drawn. Opens nothing on the network.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml, stringifyReport } from '@lvs-drain-kit/verify';
import { openReport, startBrowser } from '../packages/verify/test/browser.js';
import { syntheticReport } from '../packages/verify/test/synthetic-report.js';

export interface HtmlReportPoint {
  connections: number;
  /** Lines on old connections in the report (each a mark on the timeline). */
  lines: number;
  jsonBytes: number;
  htmlBytes: number;
  /** Median over the runs: rendering the page in Node, and opening it in the browser until drawn. */
  renderMs: number;
  openMs: number;
  runs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function htmlReports(sizes: readonly number[], runs: number): Promise<HtmlReportPoint[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ldk-bench-html-'));
  const browser = await startBrowser();
  try {
    const points: HtmlReportPoint[] = [];
    for (const connections of sizes) {
      const report = syntheticReport({ connections });
      const file = join(dir, `${connections}.html`);
      const render: number[] = [];
      const open: number[] = [];
      let html = '';
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        html = renderHtml(report);
        render.push(performance.now() - t);
        await writeFile(file, html);
        const opened = await openReport(browser, file);
        if (opened.errors.length > 0) throw new Error(`the page failed: ${opened.errors[0]}`);
        open.push(opened.renderedMs);
        await opened.page.close();
      }
      points.push({
        connections,
        lines: report.timeline!.probes.sentMs.length,
        jsonBytes: Buffer.byteLength(stringifyReport(report)),
        htmlBytes: Buffer.byteLength(html),
        renderMs: Math.round(median(render)),
        openMs: Math.round(median(open)),
        runs,
      });
    }
    return points;
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}
