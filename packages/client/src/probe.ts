import { setTimeout as sleep } from 'node:timers/promises';
import { formatHostPort, type HostPort, parseReply } from '@lvs-drain-kit/common';
import { connectTcp } from './connect.js';
import { ConnectError } from './errors.js';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { LineClient } from './line-client.js';

export type ProbeMode = 'new-connection-each' | 'same-connection';

export interface ProbeOptions {
  /** Usually one VIP; with several, probes go to each in turn (e.g. straight to the real servers). */
  targets: HostPort[];
  count: number;
  /** Pause between two probes. */
  intervalMs: number;
  /** new-connection-each: what a new client sees (the scheduler); same-connection: what a held connection sees. */
  mode: ProbeMode;
  /** The line each probe sends. */
  line: string;
  connectTimeoutMs: number;
  /** How long one probe waits for its reply. */
  timeoutMs: number;
  /** Called after each probe, e.g. to print it as it happens. */
  onSample?(sample: ProbeSample): void;
  signal?: AbortSignal;
}

export interface ProbeSample {
  seq: number;
  target: string;
  /** The server name in the reply; undefined when there was no (parsable) reply. */
  server?: string;
  /** The line received when it was not a reply. */
  other?: string;
  /** Only for probes that opened a connection. */
  connectMs?: number;
  rttMs?: number;
  error?: string;
}

export interface ProbeResult {
  mode: ProbeMode;
  targets: string[];
  count: number;
  answered: number;
  failed: number;
  /** Replies per server, in order of first reply. */
  perServer: Record<string, number>;
  connect: LatencySummary | undefined;
  rtt: LatencySummary | undefined;
  samples: ProbeSample[];
  /** When every probe failed to connect, the first such error (the CLI's exit code comes from it). */
  connectError?: ConnectError;
}

/** Microsecond resolution is what a histogram keeps too; more digits are noise in reports. */
const round = (ms: number) => Math.round(ms * 1000) / 1000;

interface Conn {
  client?: LineClient;
  connectMs?: number;
  error?: string;
  connectError?: ConnectError;
}

async function open(target: HostPort, options: ProbeOptions): Promise<Conn> {
  const t0 = performance.now();
  try {
    const socket = await connectTcp({ target, connectTimeoutMs: options.connectTimeoutMs });
    return { client: new LineClient(socket), connectMs: round(performance.now() - t0) };
  } catch (err) {
    if (err instanceof ConnectError) return { error: err.message, connectError: err };
    throw err;
  }
}

/**
 * Sends `count` probes and reports which server answered each: the drain procedure's
 * manual check (new clients go to the servers with weight > 0; a held
 * connection stays on its server) as one command.
 */
export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  const { targets, count } = options;
  const samples: ProbeSample[] = [];
  const perServer: Record<string, number> = {};
  const connect = new LatencyRecorder();
  const rtt = new LatencyRecorder();
  const held = new Map<number, Conn>();
  let firstConnectError: ConnectError | undefined;

  try {
    for (let seq = 1; seq <= count; seq++) {
      if (options.signal?.aborted) break;
      const index = (seq - 1) % targets.length;
      const target = targets[index]!;
      const sample: ProbeSample = { seq, target: formatHostPort(target) };
      let conn: Conn;
      if (options.mode === 'same-connection') {
        conn = held.get(index) ?? (await open(target, options));
        if (!held.has(index)) {
          held.set(index, conn);
          if (conn.connectMs !== undefined) sample.connectMs = conn.connectMs;
        }
      } else {
        conn = await open(target, options);
        if (conn.connectMs !== undefined) sample.connectMs = conn.connectMs;
      }
      if (sample.connectMs !== undefined) connect.record(sample.connectMs);
      firstConnectError ??= conn.connectError;

      if (!conn.client) sample.error = conn.error ?? 'not connected';
      else {
        const t0 = performance.now();
        try {
          const line = await conn.client.request(options.line, options.timeoutMs);
          sample.rttMs = round(performance.now() - t0);
          rtt.record(sample.rttMs);
          const server = parseReply(line);
          if (server !== undefined) {
            sample.server = server;
            perServer[server] = (perServer[server] ?? 0) + 1;
          } else sample.other = line;
        } catch (err) {
          sample.error = (err as Error).message;
        }
        if (options.mode === 'new-connection-each') conn.client.close();
      }
      samples.push(sample);
      options.onSample?.(sample);
      if (seq < count && options.intervalMs > 0) {
        await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
      }
    }
  } finally {
    for (const c of held.values()) c.client?.close();
  }

  const answered = samples.filter((s) => s.server !== undefined).length;
  const result: ProbeResult = {
    mode: options.mode,
    targets: targets.map(formatHostPort),
    count: samples.length,
    answered,
    failed: samples.length - answered,
    perServer,
    connect: connect.summary(),
    rtt: rtt.summary(),
    samples,
  };
  if (answered === 0 && firstConnectError && samples.every((s) => s.connectMs === undefined)) {
    result.connectError = firstConnectError;
  }
  return result;
}
