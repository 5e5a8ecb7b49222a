/**
 * The maintain report for people: the settings, one table row per server with its timeline, every
 * step that did not pass, the sampler's requests and failures, the verdict. Same look as drain-test's.
 */
import { escapeControl, formatDuration } from '@lvs-drain-kit/common';
import Table from 'cli-table3';
import pc from 'picocolors';
import type { MaintainReport, MaintainServerReport } from './maintain-types.js';
import { badge, mark } from './status.js';
import { FAILURE_CLASSES } from './types.js';

type Colors = ReturnType<typeof pc.createColors>;

export function renderMaintainHuman(report: MaintainReport, options: { color: boolean }): string {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  const s = report.settings;
  out.push(`${c.bold('lvs-verify maintain')}  VIP ${report.vip}  ${report.servers.map((x) => x.name).join(', ')}`);
  out.push(`driver   ${report.driver.description}`);
  if (s.exec) out.push(`work     ${s.exec}`);
  out.push(
    c.dim(
      `settings wait until no ${s.waitEmpty === 'all' ? '' : 'active '}connection is left (at most ${formatDuration(s.drainTimeoutMs)}, then ${s.onTimeout}), ${s.minServing} other server${s.minServing === 1 ? '' : 's'} serving, healthy within ${formatDuration(s.healthyTimeoutMs)}, back within ${formatDuration(s.restoreTimeoutMs)}`,
    ),
  );
  const sm = report.sampler;
  out.push(
    c.dim(
      `sampler  ${sm.rate} new connections/s and ${sm.longLived} long-lived (a request every ${formatDuration(sm.intervalMs)}, reconnecting after ${formatDuration(sm.maxAgeMs)})`,
    ),
  );
  out.push('');
  if (report.preflight.status !== 'pass') out.push(`${badge('fail', c)}  preflight  ${report.preflight.message}`);
  if (report.servers.some((x) => x.status !== 'pending')) {
    const table = new Table({
      head: [
        'server',
        'address',
        'status',
        'drained at',
        'empty after',
        'work',
        'healthy after',
        'back at',
        'returned',
        'requests',
      ],
      style: { head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [] },
    });
    for (const x of report.servers) table.push(row(x, c));
    out.push(table.toString());
    out.push(
      c.dim('drained at, back at: since the start; the others: how long that step took; requests: sent / failed'),
    );
    out.push('');
    for (const x of report.servers) {
      if (x.steps.length === 0) continue;
      out.push(`${x.name.padEnd(8)} ${x.steps.map((k) => `${k.id} ${mark(k.status, c)}`).join(c.dim(' · '))}`);
      for (const k of x.steps.filter((k) => k.status === 'fail' || k.status === 'warn'))
        out.push(`${' '.repeat(9)}${badge(k.status, c)}  ${k.id}: ${k.message}`);
      if (x.exec && x.exec.exitCode !== 0) {
        for (const line of x.exec.output.trimEnd().split('\n').slice(-5))
          out.push(c.dim(`${' '.repeat(9)}| ${escapeControl(line)}`));
      }
      if (x.restore.leftDrained || (x.restore.attempted && !x.restore.restored && x.restore.changedTo === undefined)) {
        out.push(
          c.bold(
            c.red(
              `${' '.repeat(9)}${x.name} IS STILL DRAINED. Once it is healthy: lvs-verify undrain ${x.name}, or run:`,
            ),
          ),
        );
        out.push(`${' '.repeat(13)}${x.restore.manualCommand}`);
      }
    }
    out.push('');
  }
  const req = sm.requests;
  out.push(
    `requests ${req.sent} sent, ${req.failed > 0 ? c.red(`${req.failed} failed`) : '0 failed'} — ${sm.connections.short} short connections, ${sm.connections.long} long-lived; answered by ${
      Object.entries(sm.answeredBy)
        .map(([n, k]) => `${n} ${k}`)
        .join(', ') || 'none'
    }${sm.notSent > 0 ? c.yellow(`; ${sm.notSent} not sent (too many still open)`) : ''}`,
  );
  if (req.failed > 0) {
    const classes = FAILURE_CLASSES.filter((k) => sm.failures.byClass[k] > 0).map(
      (k) => `${sm.failures.byClass[k]} ${k}`,
    );
    out.push(c.red(`failures ${classes.join(', ')}`));
    for (const f of sm.failures.first.slice(0, 10)) {
      out.push(
        c.dim(
          `  +${formatDuration(f.atMs)} ${f.connection}${f.server ? ` on ${f.server}` : ''}: ${f.class}${f.detail ? ` (${f.detail})` : ''}`,
        ),
      );
    }
    if (req.failed > 10) out.push(c.dim(`  … ${req.failed - 10} more (see --json)`));
  }
  if (report.error) out.push(c.red(`error    ${report.error.type}: ${report.error.message}`));
  for (const line of (report.error?.detail ?? '').split('\n').filter(Boolean).slice(0, 10))
    out.push(c.dim(`  stderr ${escapeControl(line)}`));
  out.push('');
  const done = report.servers.filter((x) => x.status === 'done').length;
  const verdict =
    report.verdict === 'pass' ? c.bold(c.green('PASS')) : c.bold(c.red(report.verdict === 'fail' ? 'FAIL' : 'ERROR'));
  out.push(
    `verdict  ${verdict}  ${done} of ${report.servers.length} servers maintained and back; ${req.failed} of ${req.sent} requests failed  ${c.dim(`(${formatDuration(report.durationMs)})`)}`,
  );
  return `${out.join('\n')}\n`;
}

function row(x: MaintainServerReport, c: Colors): string[] {
  const t = x.timeline;
  const at = (ms: number | undefined) => (ms === undefined ? '—' : `+${formatDuration(ms)}`);
  const took = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));
  const status =
    x.status === 'done' ? c.green('done') : x.status === 'pending' ? c.dim('not reached') : c.red(x.status);
  return [
    x.name,
    `${x.host}:${x.port}`,
    status,
    at(t.drainedAtMs),
    x.waitEmpty?.timedOut ? c.red('timed out') : took(t.emptyAfterMs),
    took(t.workMs),
    took(t.healthyAfterMs),
    x.restore.leftDrained ? c.red('left drained') : at(t.backAtMs),
    took(t.returnedAfterMs),
    `${x.requests.sent} / ${x.requests.failed > 0 ? c.red(String(x.requests.failed)) : '0'}`,
  ];
}
