import { escapeControl, formatDuration } from '@lvs-drain-kit/common';
import Table from 'cli-table3';
import pc from 'picocolors';
import { detectableLeak, percent, samplesForLeak } from '../measure/power.js';
import { serverFacts } from './server-facts.js';
import { badge } from './status.js';
import { signed } from './time.js';
import type { CheckStatus, DrainReport, LatencySummary, ServerReport, VerifierReport } from './types.js';

export interface RenderOptions {
  color: boolean;
}

/** The report for people: who was drained, a table per server, one line per check, the verdict. */
export function renderHuman(report: DrainReport, options: RenderOptions): string {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  const drainName = report.drain.name ?? `${report.drain.host}:${report.drain.port}`;
  out.push(
    c.bold(`lvs-verify drain-test`) +
      `  VIP ${report.vip}  drain ${c.bold(drainName)} (${report.drain.host}:${report.drain.port})`,
  );
  out.push(`driver   ${report.driver.description}`);
  const probe = probeLine(report);
  if (probe) out.push(probe);
  const d = report.director;
  if (d) {
    const parts = [];
    if (d.scheduler) parts.push(`scheduler ${d.scheduler}`);
    const forwarding = [...new Set(d.servers.map((x) => x.forwarding).filter(Boolean))];
    if (forwarding.length > 0) parts.push(`forwarding ${forwarding.join('/')}`);
    if (d.kernel) parts.push(`kernel ${d.kernel}`);
    for (const [k, v] of Object.entries(d.sysctls ?? {})) parts.push(`${k.replace('net.ipv4.vs.', '')}=${v}`);
    if (parts.length > 0) out.push(`director ${parts.join(', ')}`);
    for (const w of d.warnings ?? []) out.push(c.yellow(`warning  ${w}`));
  }
  const s = report.settings;
  out.push(
    c.dim(
      `settings ${s.connections} old connections, hold ${formatDuration(s.holdMs)} every ${formatDuration(s.intervalMs)}, ${s.newConnections} new (${s.newConnections === samplesForLeak(s.maxLeak) ? `sized for a ${percent(s.maxLeak)} leak` : `would see a leak of ≥ ${percent(detectableLeak(s.newConnections), true)}`}), timeout ${formatDuration(s.timeoutMs)}`,
    ),
  );
  out.push('');
  out.push(`phases   ${report.phases.map((p) => `${p.id} ${formatDuration(p.durationMs)}`).join(c.dim(' · '))}`);
  out.push(verifierLine(report.verifier));
  for (const w of report.verifier.warnings) out.push(c.yellow(`warning  ${w}`));
  out.push('');

  // Before the spread there is nothing to count: the table would be all zeros.
  if (report.servers.some((x) => x.connectionsBefore > 0)) {
    const table = new Table({
      head: [
        'server',
        'address',
        'weight',
        'old conns',
        'new',
        'after restore',
        'replies',
        'failures',
        'hold rtt p50 / p99',
      ],
      style: { head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [] },
    });
    for (const sv of report.servers) table.push(serverRow(sv, report.latency[sv.name]?.hold?.rtt, c));
    out.push(table.toString());
    out.push(
      c.dim(
        'old conns: on the server at the drain → still answering after the hold; * = drained; new: from source ports unused before (+ reached through a reused one)',
      ),
    );
    out.push('');
  }

  const width = Math.max(...report.checks.map((k) => k.id.length), 10);
  for (const k of report.checks) {
    out.push(`${badge(k.status, c)}  ${k.id.padEnd(width)}  ${k.message}`);
    for (const f of k.failures.slice(0, 5)) {
      out.push(
        c.dim(
          `        ${f.connection} on ${f.server || '?'}: ${f.class} at ${signed(f.atMs)} ms${f.detail ? ` (${f.detail})` : ''}`,
        ),
      );
    }
    if (k.failures.length > 5) out.push(c.dim(`        … ${k.failures.length - 5} more (see --json)`));
  }
  out.push('');
  if (report.disruptions.length === 0) out.push(`disruptions none`);
  else {
    for (const dis of report.disruptions) {
      out.push(
        c.red(
          `disruption ${signed(dis.startMs)}..${signed(dis.endMs)} ms (${dis.durationMs} ms): ${dis.classes.join(', ')} on ${dis.connections.slice(0, 6).join(', ')}${dis.connections.length > 6 ? ', …' : ''}`,
        ),
      );
    }
  }
  if (report.error?.type === 'WeightDriftError') {
    out.push('');
    out.push(
      c.bold(
        c.red(
          `WEIGHT CHANGED BY SOMEONE ELSE: ${drainName}'s weight was left as they set it. Decide; to put it back anyway:`,
        ),
      ),
    );
    if (report.restore.manualCommand) out.push(`    ${report.restore.manualCommand}`);
  } else if (report.restore.attempted && !report.restore.restored) {
    out.push('');
    out.push(c.bold(c.red(`RESTORE FAILED: ${drainName} may still be drained. Run by hand on the director:`)));
    out.push(`    ${report.restore.manualCommand}`);
  }
  if (report.error) out.push(c.red(`error    ${report.error.type}: ${report.error.message}`));
  for (const line of (report.error?.detail ?? '').split('\n').filter(Boolean).slice(0, 10)) {
    out.push(c.dim(`  stderr ${escapeControl(line)}`));
  }
  out.push('');
  const verdict = {
    pass: c.bold(c.green('PASS')),
    fail: c.bold(c.red('FAIL')),
    inconclusive: c.bold(c.yellow('INCONCLUSIVE')),
    error: c.bold(c.red('ERROR')),
  }[report.verdict];
  const ids = (status: CheckStatus) => report.checks.filter((k) => k.status === status).map((k) => k.id);
  const [failed, warned, unsure] = [ids('fail'), ids('warn'), ids('inconclusive')];
  const why =
    report.verdict === 'pass'
      ? `draining ${drainName} kept every old connection and sent new ones elsewhere${warned.length ? ` (warnings: ${warned.join(', ')})` : ''}`
      : failed.length
        ? `failed: ${failed.join(', ')}`
        : unsure.length && report.verdict === 'inconclusive'
          ? `observed nothing to judge in: ${unsure.join(', ')} — not a pass; not tested as asked`
          : (report.error?.message ?? '');
  out.push(`verdict  ${verdict}  ${why}  ${c.dim(`(${formatDuration(report.durationMs)})`)}`);
  return `${out.join('\n')}\n`;
}

/** `probe    http GET / (2xx,3xx) · identity director (ipvsadm -L -n -c) + answers (header X-Served-By): 412 cross-checked, 0 disagree` */
function probeLine(report: DrainReport): string | undefined {
  const p = report.probe;
  const id = report.identity;
  if (!p && !id) return undefined;
  const parts: string[] = [];
  if (p) parts.push(p.description);
  if (id) {
    const sources = [id.director ? `director (${id.director})` : '', id.service ? `answers (${id.service})` : '']
      .filter(Boolean)
      .join(' + ');
    const crossed = id.mode === 'both' ? `: ${id.crossChecked} cross-checked, ${id.disagreements} disagree` : '';
    parts.push(`identity ${sources}${crossed}`);
  }
  return `probe    ${parts.join(' · ')}`;
}

const MB = 1024 * 1024;

/** The verifier's own load, so a late reply can be weighed against it. */
function verifierLine(v: VerifierReport): string {
  const d = v.eventLoopDelay;
  const rounds = v.hold ? ` · hold ${v.hold.rounds} of ${v.hold.expectedRounds} rounds, ${v.hold.cpuPercent}% CPU` : '';
  return `verifier event-loop delay p99 ${Math.round(d.p99)} ms (max ${Math.round(d.max)}) · peak RSS ${Math.round(v.peakRssBytes / MB)} MB${rounds}`;
}

function serverRow(sv: ServerReport, rtt: LatencySummary | undefined, c: ReturnType<typeof pc.createColors>): string[] {
  const f = serverFacts(sv, rtt);
  const failures = [f.failed ? c.red(f.failed) : '', f.stalled ? c.yellow(f.stalled) : ''].filter(Boolean).join(', ');
  const oldConnections = `${sv.connectionsBefore} → ${sv.connectionsAfter}`;
  return [
    sv.drained ? c.bold(`${sv.name} *`) : sv.name,
    `${sv.host}:${sv.port}`,
    f.weights.join('→') || '?',
    f.lost ? c.red(oldConnections) : oldConnections,
    (f.leaked ? c.red(String(sv.newConnections)) : String(sv.newConnections)) + f.reused,
    String(sv.returnedConnections),
    String(sv.replies),
    failures || '—',
    f.roundTrip,
  ];
}
