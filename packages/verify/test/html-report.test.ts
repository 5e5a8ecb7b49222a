import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../src/report/html/index.js';
import { FAILURE_COLORS, outcomeColor, probeStarts } from '../src/report/html/shape.js';
import { stringifyReport } from '../src/report/json.js';
import type { DrainReport, TimelineReport } from '../src/report/types.js';
import { type Browser, openReport, startBrowser } from './browser.js';
import { markerPosition, pagePoint, pixelAt, rgba, sameColor } from './report-page.js';
import { syntheticReport } from './synthetic-report.js';

// The HTML report opened in a real headless Chromium: what a person would see, read back from the DOM
// and the charts' canvas, against the JSON report of the same run.

const BIN = fileURLToPath(new URL('../bin/lvs-verify.js', import.meta.url));
/** Screenshots, and the sizes and times of the large report, for a person to look at. */
const OUT = fileURLToPath(new URL('../../../test-output/html-report/', import.meta.url));
const FAST = ['--hold', '1s', '--interval', '100ms', '--timeout', '1s', '--restore-timeout', '2s'];

/** The README's bounds for a 10,000-connection report (generous: this is not a timing test). */
export const LARGE_REPORT_MAX_BYTES = 6_000_000;
export const LARGE_REPORT_MAX_OPEN_MS = 20_000;

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldk-html-'));
  await mkdir(OUT, { recursive: true });
  browser = await startBrowser();
});

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

/** drain-test on the builtin lab through the real binary, with --json and --html. */
async function labRun(name: string, extra: string[]): Promise<{ report: DrainReport; html: string; code: number }> {
  const html = join(dir, `${name}.html`);
  const r = await execa(process.execPath, [BIN, 'drain-test', '--lab', ...FAST, ...extra, '--json', '--html', html], {
    env: { XDG_STATE_HOME: dir, NO_COLOR: '1' },
    reject: false,
    timeout: 60_000,
  });
  expect(r.stderr).toContain(`html report: ${html}`);
  return { report: JSON.parse(r.stdout) as DrainReport, html, code: r.exitCode ?? -1 };
}

/** Row of old connection `i` in the timeline chart. */
const rowOf = (page: { connectionAtRow: number[] }, i: number) => page.connectionAtRow.indexOf(i);

async function chartRows(opened: Awaited<ReturnType<typeof openReport>>): Promise<{ connectionAtRow: number[] }> {
  return opened.page.evaluate(() => {
    const g = globalThis as unknown as { ldk: { data: { old: { connectionAtRow: number[] } } } };
    return { connectionAtRow: g.ldk.data.old.connectionAtRow };
  });
}

/** Opens the table of old connections; its rows are built on the (asynchronous) toggle event. */
async function openConnectionsTable(page: Page): Promise<void> {
  await page.click('#connections summary');
  await page.locator('#connections-body tr').first().waitFor();
}

/**
 * Opens a report page, keeps a screenshot of it for a person to look at, and checks that it ran clean: no
 * script error, nothing fetched but the file itself.
 */
async function openClean(file: string, screenshot: string, fullPage = true) {
  const opened = await openReport(browser, file);
  await opened.page.screenshot({ path: join(OUT, screenshot), fullPage });
  expect(opened.errors).toEqual([]);
  expect(opened.requests.map((u) => decodeURIComponent(u))).toEqual([`file://${file}`]);
  return opened;
}

describe('the HTML report in a headless browser', { timeout: 120_000 }, () => {
  it('a passing run: the verdict, a row per old connection, the drain where the JSON has it, nothing fetched', async () => {
    const { report, html, code } = await labRun('pass', []);
    expect(code).toBe(0);
    const t = report.timeline!;
    const opened = await openClean(html, 'pass.png');
    const { page } = opened;
    expect(await opened.blocked()).toEqual([]);

    expect(await page.textContent('#verdict')).toBe('PASS');
    expect(await page.textContent('#verdict-why')).toContain('draining rs1 kept every old connection');
    // The verdict is on screen without scrolling.
    const box = (await page.locator('#verdict').boundingBox())!;
    expect(box.y + box.height).toBeLessThan(1000);

    // One row per old connection: in the table, and on the chart, each drawn in its server's colour.
    const opens = report.servers.reduce((a, s) => a + s.connectionsBefore, 0);
    expect(t.old.server).toHaveLength(opens);
    await openConnectionsTable(page);
    expect(await page.locator('#connections-body tr').count()).toBe(opens);
    const rows = await chartRows(opened);
    const starts = probeStarts(t);
    for (let i = 0; i < opens; i++) {
      // Its first line after the drain (lines go out before and through the drain command too).
      const lines = t.probes.sentMs.slice(starts[i]!, starts[i]! + t.old.probes[i]!);
      const first = starts[i]! + lines.findIndex((ms) => ms >= 0);
      expect(first).toBeGreaterThan(starts[i]!);
      const color = outcomeColor(t, t.probes.outcome[first]!);
      const pixel = await pixelAt(page, 'old', t.probes.sentMs[first]!, rowOf(rows, i));
      expect(sameColor(pixel, rgba(color)), `old#${i + 1}: ${pixel} is not ${color}`).toBe(true);
      // Between two lines there is no mark: the check above can fail.
      const between = await pixelAt(page, 'old', t.probes.sentMs[first]! + 45, rowOf(rows, i));
      expect(sameColor(between, rgba(color))).toBe(false);
    }

    // Pointing at a row names its connection.
    await page.locator('#chart-old').scrollIntoViewIfNeeded();
    const point = await pagePoint(page, 'old', t.probes.sentMs[starts[2]! + 1]!, rowOf(rows, 2));
    await page.mouse.move(point.x, point.y);
    expect(await page.textContent('#readout-old')).toContain(`old#3 on ${t.outcomes[t.old.server[2]!]}`);

    // The drain at 0 on the time axis, which is the drain phase's moment in the JSON, between the last
    // line before it and the first after it; restore and return where the JSON has them.
    const drain = (await markerPosition(page, 'old', 'drain'))!;
    expect(drain.label).toBe('drain');
    expect(Math.abs(drain.ms - 0)).toBeLessThanOrEqual(drain.msPerPx * 1.5);
    const phase = report.phases.find((p) => p.id === 'drain')!;
    expect(t.drainAtMs).toBeGreaterThanOrEqual(phase.startMs);
    expect(t.drainAtMs).toBeLessThanOrEqual(phase.startMs + phase.durationMs);
    const before = Math.max(...t.probes.sentMs.filter((ms) => ms < 0));
    const after = Math.min(...t.probes.sentMs.filter((ms) => ms >= 0));
    expect(drain.ms).toBeGreaterThan(before);
    expect(drain.ms).toBeLessThanOrEqual(after + drain.msPerPx);
    for (const [moment, ms] of [
      ['restore', t.restoreMs],
      ['return', t.returnMs],
    ] as const) {
      const m = (await markerPosition(page, 'old', moment))!;
      expect(Math.abs(m.ms - ms!), moment).toBeLessThanOrEqual(m.msPerPx * 1.5);
    }
    // The new connections went to rs2, in rows by destination.
    const rs2 = t.fresh.outcome.filter((o) => t.outcomes[o] === 'rs2').length;
    expect(rs2).toBeGreaterThanOrEqual(report.settings.newConnections);
    expect(await page.locator('#chart-fresh .u-legend').textContent()).toContain(`rs2 · ${rs2}`);
  });

  it("a failing run (reset-old): FAIL, and a mark in its failure's colour where each connection failed", async () => {
    const { report, html, code } = await labRun('reset-old', ['--lab-misbehave', 'reset-old']);
    expect(code).toBe(1);
    const t = report.timeline!;
    const opened = await openClean(html, 'reset-old.png');
    const { page } = opened;

    expect(await page.textContent('#verdict')).toBe('FAIL');
    expect(await page.textContent('#verdict-why')).toContain('old-connections-survive');
    const check = report.checks.find((c) => c.id === 'old-connections-survive')!;
    expect(check.status).toBe('fail');
    expect(check.failures.length).toBeGreaterThan(0);

    // A reset connection reads as `reset`; on busy cores Linux may hand the RST to a write first and the
    // next read then sees an EOF, so some may read as `closed`. Each mark has its own class's colour.
    const classes = [...new Set(check.failures.map((f) => f.class))].sort();
    expect(classes.length).toBeGreaterThan(0);
    expect(['closed', 'reset']).toEqual(expect.arrayContaining(classes));
    const rows = await chartRows(opened);
    const marked: string[] = [];
    for (const cls of classes as Array<'reset' | 'closed'>) {
      const lines = failedLines(t, t.outcomes.indexOf(cls));
      marked.push(...lines.map((f) => `old#${f.connection + 1}`));
      for (const f of lines) {
        const pixel = await pixelAt(page, 'old', f.sentMs, rowOf(rows, f.connection));
        expect(sameColor(pixel, rgba(FAILURE_COLORS[cls])), `old#${f.connection + 1} ${cls}: ${pixel}`).toBe(true);
      }
      expect(await page.locator('#chart-old .u-legend').textContent()).toContain(`${cls} · ${lines.length}`);
    }
    expect(marked.sort()).toEqual(check.failures.map((f) => f.connection).sort());
    // The failure's name in the checks has the colour of its marks.
    for (const cls of classes as Array<'reset' | 'closed'>) {
      const color = await page
        .locator(`#checks .fc-${cls}`)
        .first()
        .evaluate(
          (el) =>
            (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color,
        );
      expect(color).toBe(`rgb(${rgba(FAILURE_COLORS[cls]).slice(0, 3).join(', ')})`);
    }
    await openConnectionsTable(page);
    expect(await page.locator('#connections-body tr.fail').count()).toBe(marked.length);
    expect(await page.locator('#checks tr.fail', { hasText: 'old-connections-survive' }).textContent()).toContain(
      check.message,
    );

    // `lvs-verify report FILE.json --html` draws the same page from the saved JSON.
    const json = join(dir, 'reset-old.json');
    await writeFile(json, stringifyReport(report));
    const again = join(dir, 'reset-old-again.html');
    const r = await execa(process.execPath, [BIN, 'report', json, '--html', again], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await readFile(again, 'utf8')).toBe(await readFile(html, 'utf8'));
  });

  it('refuses an --html file it cannot write before the run, and a report file that is not one (exit 2)', async () => {
    const run = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, env: { NO_COLOR: '1' } });
    const noDir = await run(['drain-test', '--lab', '--html', join(dir, 'missing', 'x.html')]);
    expect(noDir.exitCode).toBe(2);
    expect(noDir.stderr).toMatch(/--html .*missing\/x\.html: cannot write there \(ENOENT\)/);
    expect(noDir.stderr).not.toContain('starting the builtin lab');
    const notJson = join(dir, 'not.json');
    await writeFile(notJson, 'PASS\n');
    const bad = await run(['report', notJson, '--html', join(dir, 'x.html')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(`${notJson} is not JSON`);
  });

  it('notices a page that tries to fetch something (the check above can fail)', async () => {
    const report = syntheticReport({ connections: 4 });
    const file = join(dir, 'fetching.html');
    const html = renderHtml(report).replace('<footer>', '<footer><img src="http://127.0.0.1:9/pixel.png">');
    await writeFile(file, html);
    const opened = await openReport(browser, file);
    expect(await opened.blocked()).toEqual(['http://127.0.0.1:9/pixel.png']);
  });

  it('10,000 connections: the size and the time to open stay under the README bounds', async () => {
    const report = syntheticReport({ connections: 10_000, failDrained: undefined });
    const file = join(dir, 'large.html');
    const started = performance.now();
    const html = renderHtml(report);
    const renderMs = performance.now() - started;
    await writeFile(file, html);
    const json = Buffer.byteLength(stringifyReport(report));
    const opened = await openClean(file, 'large.png', false);
    await openConnectionsTable(opened.page);
    expect(await opened.page.locator('#connections-body tr').count()).toBe(10_000);
    const figures = {
      connections: 10_000,
      lines: report.timeline!.probes.sentMs.length,
      jsonBytes: json,
      htmlBytes: Buffer.byteLength(html),
      renderMs: Math.round(renderMs),
      openMs: Math.round(opened.renderedMs),
    };
    await writeFile(join(OUT, 'large.json'), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`html report at 10,000 connections: ${JSON.stringify(figures)}`);
    expect(figures.htmlBytes).toBeLessThan(LARGE_REPORT_MAX_BYTES);
    expect(figures.jsonBytes).toBeLessThan(LARGE_REPORT_MAX_BYTES);
    expect(figures.openMs).toBeLessThan(LARGE_REPORT_MAX_OPEN_MS);
  });
});

/** Each old connection's line with this outcome: which connection, and when it was sent. */
function failedLines(t: TimelineReport, outcome: number): Array<{ connection: number; sentMs: number }> {
  const starts = probeStarts(t);
  const out: Array<{ connection: number; sentMs: number }> = [];
  for (let i = 0; i < t.old.server.length; i++) {
    for (let p = starts[i]!; p < starts[i]! + t.old.probes[i]!; p++) {
      if (t.probes.outcome[p] === outcome) out.push({ connection: i, sentMs: t.probes.sentMs[p]! });
    }
  }
  return out;
}
