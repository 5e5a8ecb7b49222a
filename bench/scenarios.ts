/** One measurement each: every function starts its server fresh and stops it, also on failure. */
import { spawnSync } from 'node:child_process';
import { type Generator, holdConnections, type LoadOptions, type LoadResult, runLoad } from './generator.js';
import { type PeerSpec, startPeer } from './peers.js';
import { treeRssBytes } from './proc.js';

export interface BenchContext {
  generator: Generator;
  /** Where every server's stdout (its per-line log) goes. */
  sink: string;
  /** Load generator processes per measurement. */
  processes: number;
  /** Open files a process may have here (servers and generators raise theirs to it). */
  fileLimit: number;
  warmupMs: number;
  measureMs: number;
  progress(message: string): void;
}

/** 127.0.0.x source addresses: each brings its own range of ephemeral ports. */
export function sourceAddresses(count: number, first = 11): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${first + i}`);
}

const SETUP_TIMEOUT_MS = 90_000;
const us = (ns: number) => Math.round(ns / 100) / 10;
const pct = (cpuNs: number, wallNs: number) => Math.round((1000 * cpuNs) / wallNs) / 10;
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PeerRun {
  pid: number;
  port: number;
  /** Runs `close` after the server is stopped. */
  defer(close: () => void): void;
}

async function withPeer<T>(ctx: BenchContext, spec: PeerSpec, fn: (peer: PeerRun) => Promise<T>) {
  const peer = await startPeer(spec, ctx.sink);
  const deferred: Array<() => void> = [];
  try {
    return await fn({ pid: peer.pid, port: peer.port, defer: (close) => deferred.push(close) });
  } finally {
    await peer.stop();
    for (const close of deferred) close();
  }
}

/** A load run against a fresh server of `spec`, with what every measurement shares. */
function loadOnFreshPeer(
  ctx: BenchContext,
  spec: PeerSpec,
  mode: 'rt' | 'connect',
  o: Pick<LoadOptions, 'connections' | 'processes' | 'sources' | 'warmupMs'>,
): Promise<LoadResult> {
  return withPeer(ctx, spec, ({ pid, port, defer }) =>
    runLoad(mode, {
      ...o,
      generator: ctx.generator,
      port,
      ramp: spec.acceptBacklog,
      defer,
      measureMs: ctx.measureMs,
      timeoutMs: SETUP_TIMEOUT_MS,
      serverPid: pid,
    }),
  );
}

/** What both load measurements report: the server, exchanges per second, p50 and p99, errors, where the CPU went. */
function loadPoint(spec: PeerSpec, r: LoadResult) {
  return {
    server: spec.id,
    perSec: Math.round(r.completed / (r.elapsedNs / 1e9)),
    p50Us: us(r.histogram.getValueAtPercentile(50)),
    p99Us: us(r.histogram.getValueAtPercentile(99)),
    errors: r.errors,
    generatorCpuPct: pct(r.generatorCpuNs, r.elapsedNs),
    serverCpuPct: pct(r.serverCpuNs, r.elapsedNs),
    otherCpuPct: pct(r.otherCpuNs, r.elapsedNs),
  };
}

export interface RoundTripPoint {
  server: string;
  connections: number;
  connected: number;
  rtPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  errors: number;
  /** CPU of the load generators, % of one core. */
  generatorCpuPct: number;
  /** CPU of the server (all its processes/threads), % of one core. */
  serverCpuPct: number;
  /** Other processes' CPU use meanwhile, % of one core: other load makes the figures noisy. */
  otherCpuPct: number;
  /** Measurements made; more than 1 when other load disturbed the first. */
  attempts: number;
}

/** Other processes may use this much of a core during a point before it is measured again. */
const DISTURBED_PCT = 25;
const RETRIES = 2;

/**
 * Says `what` is measured and measures it, again (fresh server) while other processes took CPU
 * meanwhile; keeps the least disturbed.
 */
async function leastDisturbed<T extends { otherCpuPct: number }>(
  ctx: BenchContext,
  what: string,
  measure: () => Promise<T>,
): Promise<T & { attempts: number }> {
  ctx.progress(what);
  let best = await measure();
  let attempts = 1;
  while (best.otherCpuPct > DISTURBED_PCT && attempts <= RETRIES) {
    ctx.progress(`${what}: other processes used ${best.otherCpuPct}% of a core meanwhile; measuring again`);
    const again = await measure();
    attempts++;
    if (again.otherCpuPct < best.otherCpuPct) best = again;
  }
  return { ...best, attempts };
}

/** Closed loop: every connection has one line in flight; the next goes out when the reply is in. */
export function roundTrips(ctx: BenchContext, spec: PeerSpec, connections: number): Promise<RoundTripPoint> {
  const options = {
    connections,
    processes: connections >= 100 ? ctx.processes : 1,
    sources: sourceAddresses(connections > 20_000 ? 4 : 2),
    warmupMs: ctx.warmupMs,
  };
  return leastDisturbed(ctx, `round trips: ${spec.label}, ${connections} connections`, async () => {
    const r = await loadOnFreshPeer(ctx, spec, 'rt', options);
    const { perSec, ...point } = loadPoint(spec, r);
    return {
      ...point,
      connections,
      connected: r.connected,
      rtPerSec: perSec,
      p999Us: us(r.histogram.getValueAtPercentile(99.9)),
    };
  });
}

export interface IdleMemoryPoint {
  server: string;
  connections: number;
  held: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerConnection: number;
  /** Still open after the hold (a server that drops idle connections holds fewer). */
  stillOpen: number;
  setupSeconds: number;
}

/** Opens `connections`, one line each, holds them idle and reads the server's RSS delta. */
export async function idleMemory(ctx: BenchContext, spec: PeerSpec, connections: number): Promise<IdleMemoryPoint> {
  ctx.progress(`idle memory: ${spec.label}, ${connections} connections`);
  // One generator process holds at most what the file limit allows.
  const generators = Math.ceil(connections / (ctx.fileLimit - 100));
  return withPeer(ctx, spec, async ({ pid, port, defer }) => {
    await settle(500);
    const rssBeforeBytes = treeRssBytes(pid);
    const t0 = Date.now();
    const held = await holdConnections({
      generator: ctx.generator,
      port,
      connections,
      processes: generators,
      sources: sourceAddresses(Math.max(2, generators, Math.ceil(connections / 20_000))),
      timeoutMs: SETUP_TIMEOUT_MS,
      ramp: spec.acceptBacklog,
      defer,
    });
    const setupSeconds = (Date.now() - t0) / 1000;
    await settle(1000);
    const rssAfterBytes = treeRssBytes(pid);
    const stillOpen = await held.stillOpen();
    return {
      server: spec.id,
      connections,
      held: held.connected,
      rssBeforeBytes,
      rssAfterBytes,
      bytesPerConnection: held.connected > 0 ? Math.round((rssAfterBytes - rssBeforeBytes) / held.connected) : 0,
      stillOpen,
      setupSeconds,
    };
  });
}

export interface ConnectRatePoint {
  server: string;
  concurrency: number;
  perSec: number;
  p50Us: number;
  p99Us: number;
  errors: number;
  generatorCpuPct: number;
  serverCpuPct: number;
  otherCpuPct: number;
  attempts: number;
}

/** New connections per second: connect, send "shutdown", read the reply, the server closes. */
export function connectRate(ctx: BenchContext, spec: PeerSpec, concurrency: number): Promise<ConnectRatePoint> {
  const options = { connections: concurrency, processes: ctx.processes, sources: sourceAddresses(8, 31), warmupMs: 0 };
  return leastDisturbed(ctx, `new connections: ${spec.label}, ${concurrency} at a time`, async () => ({
    ...loadPoint(spec, await loadOnFreshPeer(ctx, spec, 'connect', options)),
    concurrency,
  }));
}

export interface StartTimePoint {
  command: string;
  runs: number;
  medianMs: number;
  minMs: number;
}

/** Wall time of `argv` (e.g. `rs-server --help`) from spawn to exit, median of `runs`. */
export function startTime(command: string, argv: string[], runs: number): StartTimePoint {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`${command} exited with ${r.status ?? r.signal}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    command,
    runs,
    medianMs: Math.round(times[Math.floor(runs / 2)]!),
    minMs: Math.round(times[0]!),
  };
}
