import { escapeControl } from '@lvs-drain-kit/common';
import type { Colors } from './colors.js';
import type { LatencySummary } from './latency.js';
import type { ProbeResult, ProbeSample } from './probe.js';

const ms = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(2)}ms`);

/** One line per probe: `#3  10.0.0.1:2100  rs2  connect 0.31ms  rtt 0.18ms`. */
export function formatSample(sample: ProbeSample, c?: Colors): string {
  const seq = `#${sample.seq}`.padEnd(5);
  let what: string;
  if (sample.server !== undefined)
    what = c ? c.bold(c.cyan(escapeControl(sample.server))) : escapeControl(sample.server);
  else if (sample.error !== undefined) what = c ? c.red(`failed: ${sample.error}`) : `failed: ${sample.error}`;
  else what = `not a reply: ${escapeControl(sample.other ?? '')}`;
  const times = [
    sample.connectMs !== undefined ? `connect ${ms(sample.connectMs)}` : '',
    sample.rttMs !== undefined ? `rtt ${ms(sample.rttMs)}` : '',
  ].filter(Boolean);
  return [seq, sample.target, what, ...times].join('  ');
}

function latencyLine(name: string, s: LatencySummary | undefined): string {
  if (!s) return `${name.padEnd(8)} -`;
  return `${name.padEnd(8)} p50 ${ms(s.p50Ms)}  p99 ${ms(s.p99Ms)}  min ${ms(s.minMs)}  max ${ms(s.maxMs)}  (n=${s.count})`;
}

/** The summary after the probes: replies per server with share, failures, latencies. */
export function formatSummary(result: ProbeResult): string[] {
  const rows = Object.entries(result.perServer).map(([server, n]) => [escapeControl(server), n] as const);
  const width = Math.max(6, ...rows.map(([s]) => s.length));
  const lines = [`${'server'.padEnd(width)}  ${'replies'.padStart(7)}  ${'share'.padStart(6)}`];
  for (const [server, n] of rows) {
    const share = result.count > 0 ? ((100 * n) / result.count).toFixed(1) : '0.0';
    lines.push(`${server.padEnd(width)}  ${String(n).padStart(7)}  ${`${share}%`.padStart(6)}`);
  }
  if (result.failed > 0) {
    lines.push(`${'failed'.padEnd(width)}  ${String(result.failed).padStart(7)}`);
  }
  lines.push(
    `${result.count} probes (${result.mode}) to ${result.targets.join(', ')}: ${result.answered} answered, ${result.failed} failed`,
  );
  lines.push(latencyLine('connect', result.connect), latencyLine('rtt', result.rtt));
  return lines;
}

/** `--json`: the whole result, samples included, without the error object. */
export function probeJson(result: ProbeResult): string {
  const { connectError, ...rest } = result;
  return JSON.stringify({ ...rest, error: connectError?.message }, null, 2);
}
