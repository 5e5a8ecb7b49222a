/**
 * The page's text: the verdict, checks, servers, settings, the director as read. Every value from the
 * report is escaped here; the charts come from the data block instead.
 */
import { formatDuration } from '@lvs-drain-kit/common';
import esc from 'escape-html';
import { serverFacts } from '../server-facts.js';
import { STATUS_WORD } from '../status.js';
import { signed } from '../time.js';
import type { DrainReport, Failure } from '../types.js';

const MB = 1024 * 1024;

const drainName = (r: DrainReport) => r.drain.name ?? `${r.drain.host}:${r.drain.port}`;

/** The verdict and why, first on the page: what a person looks for without scrolling. */
export function verdictSection(r: DrainReport): string {
  const failed = r.checks.filter((c) => c.status === 'fail');
  const warned = r.checks.filter((c) => c.status === 'warn');
  const unsure = r.checks.filter((c) => c.status === 'inconclusive');
  const passed = r.checks.filter((c) => c.status === 'pass').length;
  const why =
    r.verdict === 'pass'
      ? `draining ${drainName(r)} kept every old connection and sent new ones elsewhere`
      : r.verdict === 'fail'
        ? `failed: ${failed.map((c) => c.id).join(', ')}`
        : r.verdict === 'inconclusive'
          ? `observed nothing to judge in: ${unsure.map((c) => c.id).join(', ')} — not a pass; not tested as asked`
          : `the run stopped: ${r.error ? `${r.error.type}: ${r.error.message}` : 'unknown error'}`;
  const reasons = [...failed, ...unsure, ...warned]
    .map((c) => `<li class="${c.status}"><b>${esc(c.id)}</b> ${esc(c.message)}</li>`)
    .join('');
  const restoreFailed =
    r.restore.attempted && !r.restore.restored
      ? `<p class="alarm">RESTORE FAILED: ${esc(drainName(r))} may still be drained. Run by hand on the director: <code>${esc(r.restore.manualCommand ?? '')}</code></p>`
      : '';
  return `<header class="verdict ${r.verdict}">
<div class="word" id="verdict">${r.verdict.toUpperCase()}</div>
<div class="why"><p id="verdict-why">${esc(why)}</p>
<p class="meta">drain-test of <b>${esc(drainName(r))}</b> (${esc(`${r.drain.host}:${r.drain.port}`)}) behind VIP ${esc(r.vip)} ·
${passed} of ${r.checks.length} checks passed${warned.length ? `, ${warned.length} warning${warned.length > 1 ? 's' : ''}` : ''} ·
${esc(
  new Date(r.startedAt)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC'),
)} · ${esc(formatDuration(r.durationMs))} ·
${esc(r.driver.description)} · lvs-verify ${esc(r.version)}</p>
${reasons ? `<ul class="reasons">${reasons}</ul>` : ''}${restoreFailed}</div>
</header>`;
}

export function checksSection(r: DrainReport): string {
  const rows = r.checks
    .map(
      (c) => `<tr class="${c.status}"><td><span class="badge ${c.status}">${STATUS_WORD[c.status]}</span></td>
<td>${esc(c.id)}</td><td>${esc(c.message)}${failureList(c.failures)}</td><td class="num">${c.durationMs === undefined ? '' : esc(formatDuration(c.durationMs))}</td></tr>`,
    )
    .join('\n');
  return `<section id="checks"><h2>Checks</h2>
<table><thead><tr><th></th><th>check</th><th>result</th><th>took</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
}

function failureList(failures: readonly Failure[]): string {
  if (failures.length === 0) return '';
  const items = failures
    .slice(0, 5)
    .map(
      (f) =>
        `<li><span class="fc fc-${esc(f.class)}">${esc(f.class)}</span> ${esc(f.connection)} on ${esc(f.server || '?')} at ${signed(f.atMs)} ms${f.detail ? ` — ${esc(f.detail)}` : ''}</li>`,
    )
    .join('');
  const more = failures.length > 5 ? `<li>… ${failures.length - 5} more (the table of old connections below)</li>` : '';
  return `<ul class="failures">${items}${more}</ul>`;
}

export function serversSection(r: DrainReport): string {
  if (r.servers.length === 0) return '';
  const rows = r.servers
    .map((s) => {
      const f = serverFacts(s, r.latency[s.name]?.hold?.rtt);
      const failures = [f.failed, f.stalled].filter(Boolean).join(', ');
      const lost = f.lost ? ' bad' : '';
      const leaked = f.leaked ? ' bad' : '';
      return `<tr><td>${esc(s.name)}${s.drained ? ' <b>(drained)</b>' : ''}</td><td>${esc(`${s.host}:${s.port}`)}</td>
<td class="num">${esc(f.weights.join(' → ') || '?')}</td><td class="num${lost}">${s.connectionsBefore} → ${s.connectionsAfter}</td>
<td class="num${leaked}">${s.newConnections}${f.reused}</td><td class="num">${s.returnedConnections}</td>
<td class="num">${s.replies}</td><td${failures ? ' class="bad"' : ''}>${esc(failures || '—')}</td>
<td class="num">${f.roundTrip}</td></tr>`;
    })
    .join('\n');
  return `<section id="servers"><h2>Servers</h2>
<table><thead><tr><th>server</th><th>address</th><th>weight</th><th>old connections at the drain → after the hold</th>
<th>new</th><th>after restore</th><th>replies</th><th>failures</th><th>hold round trip p50 / p99</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
}

/** Failing spans, the verifier's own load and warnings. */
export function runSection(r: DrainReport): string {
  const v = r.verifier;
  const disruptions =
    r.disruptions.length === 0
      ? '<p>No disruption: no connection failed.</p>'
      : `<ul>${r.disruptions
          .map(
            (d) =>
              `<li class="bad">+${d.startMs} … +${d.endMs} ms (${d.durationMs} ms): ${esc(d.classes.join(', '))} on ${esc(d.connections.slice(0, 8).join(', '))}${d.connections.length > 8 ? `, … (${d.connections.length})` : ''}</li>`,
          )
          .join('')}</ul>`;
  const hold = v.hold ? ` · hold ${v.hold.rounds} of ${v.hold.expectedRounds} rounds at ${v.hold.cpuPercent}% CPU` : '';
  const warnings = v.warnings.map((w) => `<li class="warn">${esc(w)}</li>`).join('');
  const error = r.error
    ? `<p class="bad">${esc(r.error.type)}: ${esc(r.error.message)}</p>${r.error.detail ? `<pre>${esc(r.error.detail)}</pre>` : ''}`
    : '';
  return `<section id="run"><h2>Disruptions and the verifier</h2>${error}${disruptions}
<p>Verifier: event-loop delay p99 ${Math.round(v.eventLoopDelay.p99)} ms (max ${Math.round(v.eventLoopDelay.max)} ms) · peak RSS ${Math.round(v.peakRssBytes / MB)} MB${hold}${v.stalledTimeouts ? ` · ${v.stalledTimeouts} timeouts while it stood still` : ''}</p>
${warnings ? `<ul>${warnings}</ul>` : ''}</section>`;
}

/** The settings of the run, the driver and what it read from the director (sysctls, weights, warnings). */
export function setupSection(r: DrainReport): string {
  const s = r.settings;
  const settings: Array<[string, string]> = [
    ['old connections', String(s.connections)],
    ['new connections', String(s.newConnections)],
    ['hold', formatDuration(s.holdMs)],
    ['a line every', formatDuration(s.intervalMs)],
    ['timeout', formatDuration(s.timeoutMs)],
    ['restore timeout', formatDuration(s.restoreTimeoutMs)],
    ['restore', s.restore ? 'yes' : 'no (--no-restore)'],
    ['strict', s.strict ? 'yes' : 'no'],
    ['driver', r.driver.description],
  ];
  const d = r.director;
  const director: Array<[string, string]> = d
    ? [
        ...(d.scheduler ? [['scheduler', d.scheduler] as [string, string]] : []),
        ...(d.kernel ? [['kernel', d.kernel] as [string, string]] : []),
        ...Object.entries(d.sysctls ?? {}),
      ]
    : [];
  const dests = (d?.servers ?? [])
    .map(
      (x) =>
        `<tr><td>${esc(`${x.host}:${x.port}`)}</td><td class="num">${x.weight}</td><td>${esc(x.forwarding ?? '')}</td><td class="num">${x.activeConn ?? ''}</td><td class="num">${x.inactConn ?? ''}</td></tr>`,
    )
    .join('');
  const warnings = (d?.warnings ?? []).map((w) => `<li class="warn">${esc(w)}</li>`).join('');
  return `<section id="setup"><h2>Settings and director</h2><div class="cols">
<div><h3>Settings</h3>${keyValues(settings)}</div>
<div><h3>Director as read before the drain</h3>${d ? keyValues(director) : '<p>The driver read nothing from the director.</p>'}
${dests ? `<table><thead><tr><th>real server</th><th>weight</th><th>forwarding</th><th>active</th><th>inactive</th></tr></thead><tbody>${dests}</tbody></table>` : ''}
${warnings ? `<ul>${warnings}</ul>` : ''}</div></div></section>`;
}

function keyValues(pairs: ReadonlyArray<[string, string]>): string {
  return `<table class="kv"><tbody>${pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
}
