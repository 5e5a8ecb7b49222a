/**
 * The whole page as one string: text sections, the chart data as a JSON block, the assets inline. The
 * Content-Security-Policy forbids every fetch, so the file works offline and shows it loads nothing.
 * The page is all ASCII (`escape.ts`).
 */
import esc from 'escape-html';
import type { DrainReport } from '../types.js';
import type { PageAssets } from './assets.js';
import { htmlAscii, jsonForScript } from './escape.js';
import { checksSection, runSection, serversSection, setupSection, verdictSection } from './sections.js';
import { type ChartData, FAILURE_COLORS } from './shape.js';

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

export function pageHtml(report: DrainReport, charts: ChartData | undefined, assets: PageAssets): string {
  const name = report.drain.name ?? `${report.drain.host}:${report.drain.port}`;
  const title = `${report.verdict.toUpperCase()} · drain-test ${name} · VIP ${report.vip} · ${report.startedAt}`;
  const n = charts?.connections.server.length ?? 0;
  const text = htmlAscii(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lvs-verify ${esc(report.version)}">
<title>${esc(title)}</title>
${assets.styles.map((s) => `<style>\n${s}\n</style>`).join('\n')}
<style>${Object.entries(FAILURE_COLORS)
    .map(([cls, color]) => `.fc-${cls}{color:${color}}`)
    .join('')}</style>
</head>
<body>
${verdictSection(report)}
${checksSection(report)}
${charts ? chartsSection(charts) : '<section id="charts"><h2>Timeline</h2><p>This report has no timeline (it was written by an lvs-verify without one).</p></section>'}
${serversSection(report)}
${runSection(report)}
${setupSection(report)}
<section id="connections"><details><summary>Old connections (${n.toLocaleString('en')})</summary>
<table><thead><tr><th>connection</th><th>server</th><th>lines answered</th><th>result</th></tr></thead><tbody id="connections-body"></tbody></table>
</details></section>
<footer>lvs-verify ${esc(report.version)} · drawn with uPlot ${esc(assets.uplotVersion)} (MIT) · everything is in this file; it fetches nothing.</footer>
`);
  return `${text}
<script type="application/json" id="chart-data">${charts ? jsonForScript(charts) : ''}</script>
${assets.scripts.map((s) => `<script>\n${s}\n</script>`).join('\n')}
</body>
</html>
`;
}

function chartsSection(c: ChartData): string {
  const origin = c.origin === 'drain' ? 'since the drain' : 'since the start (nothing was drained)';
  return `<section id="charts"><h2>Timeline</h2>
<figure><figcaption>Old connections: a row each, grouped by server; a mark per line, coloured by who answered <small>(failures larger; drag to zoom, double-click to reset; time ${origin})</small></figcaption>
<div class="readout" id="readout-old">Point at a row to see its connection.</div><div id="chart-old"></div></figure>
<figure><figcaption>New connections after the drain and the restore, by where they went</figcaption><div id="chart-fresh"></div></figure>
<figure><figcaption>Latency per server <small>(round trip of old connections' lines per time bucket, p50 and p99; the dashed line is p50 before the drain; marks are connect times)</small></figcaption><div id="chart-latency"></div></figure>
</section>`;
}
