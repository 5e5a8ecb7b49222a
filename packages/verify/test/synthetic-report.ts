import { type DrainReport, FAILURE_CLASSES, type FailureClass, type TimelineReport } from '../src/report/types.js';

/**
 * A drain-test report of any size with the shape of a real run (two servers, rs1 drained, old
 * connections opened one after another, a hold whose lines go out spread over each interval, round
 * trips skewed like the 10,000-connection nft lab run: p50 ~5 ms, p99 ~100 ms), made without a run:
 * for sizing and timing the HTML report at scales a test cannot run. Deterministic for a seed.
 */
export interface SyntheticOptions {
  connections: number;
  holdMs?: number;
  intervalMs?: number;
  newConnections?: number;
  /** rs1's old connections fail this way at their first line after the drain. */
  failDrained?: FailureClass;
  seed?: number;
}

export function syntheticReport(o: SyntheticOptions): DrainReport {
  const n = o.connections;
  const holdMs = o.holdMs ?? 5000;
  const intervalMs = o.intervalMs ?? 200;
  const newConnections = o.newConnections ?? 16;
  const random = mulberry32(o.seed ?? 1);
  // Round trips: mostly a few ms, a long tail (log-normal).
  const rtt = (median: number) => median * Math.exp(gaussian(random) * 1.1);
  const tenths = (ms: number) => Math.max(0, Math.round(ms * 10));

  const spreadMs = Math.max(5, n * 0.4);
  const preflightMs = 25;
  const drainPhaseMs = 15;
  const drainAtMs = preflightMs + spreadMs + drainPhaseMs;
  const t: TimelineReport = {
    outcomes: ['rs1', 'rs2', ...FAILURE_CLASSES],
    serverCount: 2,
    drainAtMs,
    old: { server: [], openedMs: [], connectTenths: [], probes: [] },
    probes: { sentMs: [], tookTenths: [], outcome: [] },
    fresh: { kind: [], sentMs: [], connectTenths: [], outcome: [] },
  };
  const failCode = o.failDrained ? 2 + FAILURE_CLASSES.indexOf(o.failDrained) : -1;
  let failed = 0;
  const rounds = Math.floor(holdMs / intervalMs);
  for (let i = 0; i < n; i++) {
    const server = i % 2;
    const opened = -drainPhaseMs - spreadMs + (i * spreadMs) / n;
    const connect = 0.2 + random() * 0.8;
    t.old.server.push(server);
    t.old.openedMs.push(Math.round(opened));
    t.old.connectTenths.push(tenths(connect));
    t.probes.sentMs.push(Math.round(opened + connect));
    t.probes.tookTenths.push(tenths(rtt(0.6)));
    t.probes.outcome.push(server);
    let lines = 1;
    for (let r = 0; r < rounds; r++) {
      const sent = 1 + r * intervalMs + (i * intervalMs) / n + random() * 2;
      lines++;
      t.probes.sentMs.push(Math.round(sent));
      if (server === 0 && failCode >= 0) {
        t.probes.tookTenths.push(tenths(o.failDrained === 'timeout' ? 2000 : 0.3));
        t.probes.outcome.push(failCode);
        failed++;
        break;
      }
      t.probes.tookTenths.push(tenths(rtt(n >= 1000 ? 5 : 0.5)));
      t.probes.outcome.push(server);
    }
    t.old.probes.push(lines);
  }
  const holdEnd = holdMs + 20;
  for (let i = 0; i < newConnections; i++) {
    t.fresh.kind.push(0);
    t.fresh.sentMs.push(Math.round(holdEnd + i * 3));
    t.fresh.connectTenths.push(tenths(0.3 + random()));
    t.fresh.outcome.push(1);
  }
  t.fresh.kind.push(1);
  t.fresh.sentMs.push(holdEnd + newConnections * 3 + 2);
  t.fresh.connectTenths.push(5);
  t.fresh.outcome.push(1);
  const restoreAt = holdEnd + newConnections * 3 + 20;
  t.restoreMs = restoreAt;
  t.returnMs = restoreAt + 10;
  t.fresh.kind.push(2);
  t.fresh.sentMs.push(restoreAt + 10);
  t.fresh.connectTenths.push(6);
  t.fresh.outcome.push(0);

  const at = (sinceDrain: number) => Math.round(drainAtMs + sinceDrain);
  const phase = (id: DrainReport['phases'][number]['id'], from: number, to: number) => ({
    id,
    startMs: from,
    durationMs: to - from,
  });
  const half = Math.ceil(n / 2);
  const survive: DrainReport['checks'][number] =
    failed === 0
      ? {
          id: 'old-connections-survive',
          status: 'pass',
          message: `all ${n} old connections (${half} on rs1) answered every line for ${holdMs} ms (${rounds} of ${rounds} rounds)`,
          failures: [],
        }
      : {
          id: 'old-connections-survive',
          status: 'fail',
          message: `${failed} of ${n} old connections failed (${failed} ${o.failDrained})`,
          failures: Array.from({ length: failed }, (_, k) => ({
            class: o.failDrained!,
            connection: `old#${2 * k + 1}`,
            server: 'rs1',
            atMs: 2,
          })),
        };
  return {
    tool: 'lvs-verify',
    version: '0.1.0',
    verdict: failed === 0 ? 'pass' : 'fail',
    startedAt: '2026-12-01T12:00:00.000Z',
    durationMs: at(restoreAt + 60),
    vip: '198.18.0.10:2100',
    drain: { host: '198.18.1.11', port: 2100, name: 'rs1', originalWeight: 1 },
    settings: {
      connections: n,
      newConnections,
      maxLeak: 0.05,
      holdMs,
      intervalMs,
      timeoutMs: 2000,
      restoreTimeoutMs: 10_000,
      restore: true,
      strict: false,
    },
    driver: { name: 'nft', description: 'nft in netns ldk-synthetic' },
    director: {
      servers: [
        { host: '198.18.1.11', port: 2100, weight: 1 },
        { host: '198.18.1.12', port: 2100, weight: 1 },
      ],
    },
    phases: [
      phase('preflight', 0, preflightMs),
      phase('spread', preflightMs, preflightMs + Math.round(spreadMs)),
      phase('drain', preflightMs + Math.round(spreadMs), drainAtMs),
      phase('hold', drainAtMs, at(holdEnd)),
      phase('new-connections', at(holdEnd), at(restoreAt - 5)),
      phase('restore', at(restoreAt - 5), at(restoreAt + 15)),
      phase('cleanup', at(restoreAt + 15), at(restoreAt + 60)),
    ],
    checks: [
      { id: 'preflight', status: 'pass', message: '2 real servers answer', failures: [] },
      { id: 'spread', status: 'pass', message: `${n} connections open (rs1: ${half}, rs2: ${n - half})`, failures: [] },
      { id: 'drain', status: 'pass', message: 'rs1 weight 1 → 0', failures: [] },
      survive,
      {
        id: 'new-connections-avoid-drained',
        status: 'pass',
        message: `${newConnections} new connections, none reached rs1`,
        failures: [],
      },
      { id: 'reused-source-port', status: 'pass', message: 'went to rs2', failures: [] },
      { id: 'restore', status: 'pass', message: 'weight 1 put back', failures: [] },
      { id: 'new-connections-return', status: 'pass', message: 'a new connection reached rs1 again', failures: [] },
    ],
    servers: ['rs1', 'rs2'].map((name, s) => ({
      name,
      host: `198.18.1.${11 + s}`,
      port: 2100,
      drained: s === 0,
      connectionsBefore: s === 0 ? half : n - half,
      connectionsAfter: s === 0 ? half - failed : n - half,
      newConnections: s === 0 ? 0 : newConnections,
      returnedConnections: s === 0 ? 1 : 0,
      reusedPortConnections: 0,
      stalls: 0,
      replies: 0,
      failures: { timeout: 0, reset: 0, closed: 0, 'wrong-host': 0, garbled: 0 },
    })),
    latency: {},
    disruptions: [],
    restore: { attempted: true, restored: true, weight: 1 },
    verifier: {
      eventLoopDelay: { p50: 10, p99: 14, max: 32 },
      perPhase: {},
      peakRssBytes: 142 * 1024 * 1024,
      heapUsedBytes: 60 * 1024 * 1024,
      stalledTimeouts: 0,
      warnings: [],
    },
    timeline: t,
  };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
