/** The performance targets of rs-server, checked against figures from one run. */
import type { DrainPoint } from './drain.js';
import type { HtmlReportPoint } from './html.js';
import type { LabStartPoint } from './lab-start.js';
import type { ConnectRatePoint, IdleMemoryPoint, RoundTripPoint, StartTimePoint } from './scenarios.js';

export interface BenchResults {
  roundTrips: RoundTripPoint[];
  workers: RoundTripPoint[];
  idleMemory: IdleMemoryPoint[];
  maxIdle: IdleMemoryPoint | undefined;
  connectRate: ConnectRatePoint[];
  startTime: StartTimePoint[];
  drain: DrainPoint | undefined;
  htmlReports: HtmlReportPoint[];
  labStart: LabStartPoint[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** undefined when a figure it needs was not measured (e.g. no Java). */
  met: boolean | undefined;
}

const rt = (r: BenchResults, server: string, conns: number) =>
  r.roundTrips.find((p) => p.server === server && p.connections === conns);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
const meets = <T>(x: T | undefined, ok: (x: T) => boolean) => (x === undefined ? undefined : ok(x));
const fmt = (x: number | undefined, digits = 2) => (x === undefined ? 'n/a' : x.toFixed(digits));

export function checkTargets(r: BenchResults): TargetCheck[] {
  const rs = rt(r, 'rs-server', 1000);
  const java = rt(r, 'java-seed', 1000);
  const floor = rt(r, 'node-floor', 1000);
  const vsJava = ratio(rs?.rtPerSec, java?.rtPerSec);
  const vsFloor = ratio(rs?.rtPerSec, floor?.rtPerSec);
  const p99 = ratio(rs?.p99Us, java?.p99Us);
  const mem = r.idleMemory.find((p) => p.server === 'rs-server');
  // The burst figure (the first measured for each server): past the Java seed's accept backlog.
  const connRs = r.connectRate.find((p) => p.server === 'rs-server')?.perSec;
  const connJava = r.connectRate.find((p) => p.server === 'java-seed')?.perSec;
  const conn = ratio(connRs, connJava);
  const checks: TargetCheck[] = [
    { target: 'rt/s at 1,000 ≥ 2.0× Java seed', measured: `${fmt(vsJava)}×`, met: meets(vsJava, (x) => x >= 2) },
    {
      target: 'rt/s at 1,000 ≥ 0.85× minimal Node',
      measured: `${fmt(vsFloor)}×`,
      met: meets(vsFloor, (x) => x >= 0.85),
    },
    { target: 'p99 at 1,000 ≤ 0.4× Java seed', measured: `${fmt(p99)}×`, met: meets(p99, (x) => x <= 0.4) },
    {
      target: '≤ 6 kB per idle connection at 10,000',
      measured: mem ? `${(mem.bytesPerConnection / 1000).toFixed(1)} kB` : 'n/a',
      met: meets(mem, (m) => m.bytesPerConnection <= 6000),
    },
    {
      target: '100,000 concurrent idle connections',
      measured: r.maxIdle ? `${r.maxIdle.held.toLocaleString('en-US')} held` : 'n/a',
      // Only a run that tried 100,000 (not --quick) says anything about this target.
      met: meets(
        r.maxIdle && r.maxIdle.connections >= 100_000 ? r.maxIdle : undefined,
        (m) => m.held >= 100_000 && m.stillOpen >= 100_000,
      ),
    },
    {
      target: 'new connections/s (128 at once) ≥ 6× Java seed',
      measured: `${fmt(conn)}×`,
      met: meets(conn, (x) => x >= 6),
    },
  ];
  for (const s of r.startTime) {
    checks.push({ target: `${s.command} starts < 300 ms`, measured: `${s.medianMs} ms`, met: s.medianMs < 300 });
  }
  if (r.drain) {
    const s = (r.drain.reportMs ?? r.drain.wallMs) / 1000;
    checks.push({
      target: `drain-test --connections ${r.drain.connections.toLocaleString('en-US')}: verdict ≤ 30 s`,
      measured: `${r.drain.verdict} in ${s.toFixed(1)} s`,
      met: r.drain.verdict === 'pass' && s <= 30,
    });
  }
  const large = r.htmlReports.find((p) => p.connections === 10_000);
  if (large) {
    checks.push({
      target: 'HTML report at 10,000 connections ≤ 6 MB, drawn in the browser ≤ 3 s',
      measured: `${(large.htmlBytes / 1e6).toFixed(1)} MB, ${(large.openMs / 1000).toFixed(1)} s`,
      met: large.htmlBytes <= 6e6 && large.openMs <= 3000,
    });
  }
  const ipvs = r.labStart.find((p) => p.engine === 'ipvs');
  const keepalived = r.labStart.find((p) => p.engine === 'keepalived');
  if (ipvs && keepalived) {
    const gap = (keepalived.medianMs - ipvs.medianMs) / 1000;
    checks.push({
      target: 'keepalived lab warm start ≤ the ipvs lab’s + 3 s (medians)',
      measured: `${(keepalived.medianMs / 1000).toFixed(1)} s against ${(ipvs.medianMs / 1000).toFixed(1)} s (${gap >= 0 ? '+' : ''}${gap.toFixed(1)} s)`,
      met: gap <= 3,
    });
  }
  return checks;
}
