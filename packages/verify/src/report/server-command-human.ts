/** `lvs-verify drain` and `undrain` for people: one line per step, what to do next, the verdict. */
import { formatDuration } from '@lvs-drain-kit/common';
import pc from 'picocolors';
import type { ServerCommandReport } from './maintain-types.js';

export function renderServerCommandHuman(report: ServerCommandReport, options: { color: boolean }): string {
  const c = pc.createColors(options.color);
  const s = report.server;
  const out = [`${c.bold(`lvs-verify ${report.command}`)}  VIP ${report.vip}  ${s.name} (${s.host}:${s.port})`];
  out.push(`driver   ${report.driver.description}`);
  out.push('');
  for (const k of s.steps) {
    const badge = k.status === 'pass' ? c.green('PASS') : k.status === 'fail' ? c.red('FAIL') : c.yellow('WARN');
    out.push(`${badge}  ${k.id.padEnd(22)}  ${k.message}`);
  }
  if (report.error) out.push(c.red(`error    ${report.error.type}: ${report.error.message}`));
  out.push('');
  if (report.command === 'drain' && s.status === 'done') {
    out.push(`${s.name} stays at weight 0. When the work is done: lvs-verify undrain ${s.name} (same cluster flags)`);
  }
  if (s.restore.leftDrained || (s.restore.attempted && !s.restore.restored && s.restore.changedTo === undefined)) {
    out.push(
      c.bold(c.red(`${s.name} IS STILL DRAINED.`)) +
        (s.restore.manualCommand ? ` By hand: ${s.restore.manualCommand}` : ''),
    );
  }
  const verdict =
    report.verdict === 'pass' ? c.bold(c.green('PASS')) : c.bold(c.red(report.verdict === 'fail' ? 'FAIL' : 'ERROR'));
  out.push(`verdict  ${verdict}  ${c.dim(`(${formatDuration(report.durationMs)})`)}`);
  return `${out.join('\n')}\n`;
}
