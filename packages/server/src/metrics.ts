/**
 * /metrics in Prometheus text format (prom-client). The line service's counters are plain numbers read at
 * scrape time (see stats.ts); prom-client adds the process metrics (CPU, memory, event-loop delay, GC).
 * Under --workers the primary serves /metrics: the workers' registries are summed by prom-client's
 * AggregatorRegistry and the primary adds the drain state.
 */
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { SERVING_STATES, type StateSnapshot } from './state.js';
import { CLOSE_REASONS, type CloseReason, type ServerStats } from './stats.js';

export interface DataMetricsSource {
  stats: ServerStats;
  /** Connections open now. */
  open(): number;
}

/** The line service's metrics and the process metrics, in `registry`. */
export function registerDataMetrics(registry: Registry, source: DataMetricsSource): void {
  const { stats } = source;
  const total = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      // A total kept elsewhere: prom-client counters have no set(), so reset and add it.
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  new Gauge({
    name: 'rs_server_connections_open',
    help: 'Connections open now',
    registers: [registry],
    collect() {
      this.set(source.open());
    },
  });
  total('rs_server_connections_accepted_total', 'Connections accepted', () => stats.accepted);
  total(
    'rs_server_connections_refused_total',
    'Connections refused because --max-connections were open',
    () => stats.refused,
  );
  new Counter({
    name: 'rs_server_connections_closed_total',
    help: 'Connections closed, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const reason of Object.keys(CLOSE_REASONS) as CloseReason[]) {
        this.inc({ reason }, stats.closed[reason]);
      }
    },
  });
  total('rs_server_lines_total', 'Lines received and answered', () => stats.lines);
  total('rs_server_received_bytes_total', 'Bytes received from clients', () => stats.bytesReceived);
  total('rs_server_sent_bytes_total', 'Bytes sent to clients', () => stats.bytesSent);
  collectDefaultMetrics({ register: registry });
}

/** The drain state (one series per state, 1 for the current one) and the server's identity. */
export function registerStateMetrics(
  registry: Registry,
  o: { state: () => StateSnapshot; version: string; name: string },
): void {
  new Gauge({
    name: 'rs_server_state',
    help: 'Drain state: 1 for the current one (ready, drain, maint, stopping)',
    labelNames: ['state'],
    registers: [registry],
    // Under --workers only the primary knows the state: never sum it over workers.
    aggregator: 'first',
    collect() {
      const now = o.state().state;
      for (const s of SERVING_STATES) this.set({ state: s }, s === now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'rs_server_info',
    help: 'rs-server version and the name in its replies',
    labelNames: ['version', 'name'],
    registers: [registry],
    aggregator: 'first',
    collect() {
      this.set({ version: o.version, name: o.name }, 1);
    },
  });
}

export interface MetricsText {
  contentType: string;
  body: string;
}

/** One process: everything in one registry. */
export function singleProcessMetrics(registry: Registry): () => Promise<MetricsText> {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}

/** In a --workers worker: answer the primary's metric requests from `registry`. */
export function serveMetricsToPrimary(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's listener for the primary's requests
}

/** In the --workers primary: the workers' metrics summed, then the primary's own (the state). */
export function clusterMetrics(own: Registry): () => Promise<MetricsText> {
  const aggregator = new AggregatorRegistry();
  return async () => {
    const [workers, primary] = await Promise.all([aggregator.clusterMetrics(), own.metrics()]);
    return { contentType: own.contentType, body: `${workers.trimEnd()}\n\n${primary}` };
  };
}

export { Registry };
