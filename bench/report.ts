/** Renders a bench run as tables (cli-table3) and writes it as JSON. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import type { BenchResults, TargetCheck } from './targets.js';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGB: number;
  kernel: string;
  node: string;
  java: string;
  generator: string;
  logSink: string;
  /** One-minute load average when the run started: above ~0.5 something else was running. */
  loadAverageAtStart: number;
}

export interface BenchReport extends BenchResults {
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  settings: { measureMs: number; warmupMs: number; generatorProcesses: number; quick: boolean };
  notes: string[];
  targets: TargetCheck[];
}

// Colours only for a terminal; a file or CI log gets plain text.
const table = (head: string[]) =>
  new Table(process.stdout.isTTY ? { head } : { head, style: { head: [], border: [] } });
const n = (x: number) => x.toLocaleString('en-US');
const ms = (usValue: number) => (usValue >= 1000 ? `${(usValue / 1000).toFixed(1)} ms` : `${usValue} µs`);
const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;

/** The last columns of both load tables: where the CPU went (in % of one core), and the errors. */
const CPU_AND_ERRORS = ['server CPU', 'generator CPU', 'other CPU', 'errors'];
const cpuAndErrors = (p: { serverCpuPct: number; generatorCpuPct: number; otherCpuPct: number; errors: number }) => [
  `${p.serverCpuPct}%`,
  `${p.generatorCpuPct}%`,
  `${p.otherCpuPct}%`,
  n(p.errors),
];

export function renderReport(r: BenchReport): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGB} GB, Linux ${m.kernel}, Node ${m.node}, ${m.java}`,
    `Load generator: ${m.generator}; per-line logs of every server to ${m.logSink}; ` +
      `${r.settings.measureMs / 1000} s per point after ${r.settings.warmupMs / 1000} s warm-up`,
  );

  const rt = table(['connections', 'server', 'rt/s', 'p50', 'p99', 'p99.9', ...CPU_AND_ERRORS]);
  for (const p of [...r.roundTrips, ...r.workers]) {
    rt.push([n(p.connections), p.server, n(p.rtPerSec), ms(p.p50Us), ms(p.p99Us), ms(p.p999Us), ...cpuAndErrors(p)]);
  }
  if (rt.length > 0)
    out.push('', 'Round trips (closed loop, one line in flight per connection; CPU in % of one core)', rt.toString());

  const mem = table(['server', 'connections held', 'RSS before', 'RSS after', 'per connection', 'set-up']);
  for (const p of [...r.idleMemory, ...(r.maxIdle ? [r.maxIdle] : [])]) {
    mem.push([
      p.server,
      `${n(p.held)} of ${n(p.connections)}${p.stillOpen < p.held ? ` (${n(p.stillOpen)} still open)` : ''}`,
      mb(p.rssBeforeBytes),
      mb(p.rssAfterBytes),
      kb(p.bytesPerConnection),
      `${p.setupSeconds.toFixed(1)} s`,
    ]);
  }
  if (mem.length > 0)
    out.push('', 'Idle connections (one line each, then idle; RSS delta / connections)', mem.toString());

  const conn = table(['at once', 'server', 'new connections/s', 'p50', 'p99', ...CPU_AND_ERRORS]);
  for (const p of r.connectRate) {
    conn.push([p.concurrency, p.server, n(p.perSec), ms(p.p50Us), ms(p.p99Us), ...cpuAndErrors(p)]);
  }
  if (conn.length > 0) out.push('', 'New connections (connect, "shutdown", reply, close)', conn.toString());

  if (r.startTime.length > 0) {
    const st = table(['command', 'median', 'fastest', 'runs']);
    for (const s of r.startTime) st.push([s.command, `${s.medianMs} ms`, `${s.minMs} ms`, s.runs]);
    out.push('', 'Start time', st.toString());
  }

  if (r.drain) {
    const d = r.drain;
    const dt = table(['process', 'max RSS', 'event-loop delay p50', 'p99', 'max']);
    for (const p of d.processes) {
      dt.push([
        p.role,
        mb(p.maxRssBytes),
        `${p.loopDelayMs.p50} ms`,
        `${p.loopDelayMs.p99} ms`,
        `${p.loopDelayMs.max} ms`,
      ]);
    }
    const phases = Object.entries(d.phasesMs)
      .map(([id, ms]) => `${id} ${(ms / 1000).toFixed(1)} s`)
      .join(', ');
    out.push(
      '',
      `drain-test --lab ${d.engine} --connections ${n(d.connections)}: ${d.verdict} (exit ${d.exitCode}), ` +
        `${((d.reportMs ?? 0) / 1000).toFixed(1)} s to the verdict, ${(d.wallMs / 1000).toFixed(1)} s with lab up and down`,
      `phases: ${phases}`,
      ...(d.holdRttMs
        ? [`old connections' round trip during the hold: p50 ${d.holdRttMs.p50} ms, p99 ${d.holdRttMs.p99} ms`]
        : []),
      ...(d.holdRoundsNote ? [`old-connections-survive: ${d.holdRoundsNote}`] : []),
      dt.toString(),
    );
  }

  if (r.htmlReports.length > 0) {
    const ht = table(['old connections', 'lines', 'JSON', 'HTML', 'render (Node)', 'open in Chromium']);
    for (const p of r.htmlReports) {
      const size = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : kb(bytes));
      ht.push([
        n(p.connections),
        n(p.lines),
        size(p.jsonBytes),
        size(p.htmlBytes),
        `${p.renderMs} ms`,
        `${p.openMs} ms`,
      ]);
    }
    out.push('', 'HTML report (drain-test --html), median of runs', ht.toString());
  }

  if (r.labStart.length > 0) {
    const secs = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : `${(x / 1000).toFixed(1)} s`);
    const lt = table(['engine', 'run', 'ready', 'image found', 'VM up', 'director set', 'VM CPU']);
    for (const p of r.labStart) {
      p.runs.forEach((run, i) => {
        lt.push([
          p.engine,
          i + 1,
          secs(run.wallMs),
          secs(run.phasesMs.image),
          secs(run.phasesMs.boot),
          secs(run.phasesMs.director),
          secs(run.vmCpuMs),
        ]);
      });
      lt.push([p.engine, 'median', secs(p.medianMs), '', '', '', secs(p.medianVmCpuMs)]);
    }
    out.push(
      '',
      'Lab warm start: lvs-verify lab up to ready, image cached (times from launch; VM CPU at ready)',
      lt.toString(),
    );
  }

  const t = table(['target', 'measured', '']);
  for (const c of r.targets) if (c.met !== undefined) t.push([c.target, c.measured, c.met ? 'met' : 'MISSED']);
  const unmeasured = r.targets.filter((c) => c.met === undefined).map((c) => c.target);
  if (t.length > 0) out.push('', 'Targets (ratios from this run)', t.toString());
  if (unmeasured.length > 0) out.push(`not measured in this run: ${unmeasured.join('; ')}`);
  for (const note of r.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

/** Writes `<dir>/<prefix><timestamp>.json` and `<dir>/<prefix>latest.json`; returns the first path. */
export function writeReport(r: BenchReport, dir: string, prefix = ''): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}${r.startedAt.replace(/[:.]/g, '-')}.json`);
  const json = `${JSON.stringify(r, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(join(dir, `${prefix}latest.json`), json);
  return file;
}
