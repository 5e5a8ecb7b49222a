/**
 * --status-port: /healthz (200 while ready, 503 while draining, in maintenance or stopping; the body is
 * the state as JSON) and /metrics (Prometheus text). Loopback by default.
 */
import { createServer } from 'node:http';
import type { Logger } from 'pino';
import { listenOn } from './agent.js';
import type { MetricsText } from './metrics.js';
import type { DrainState, StateSnapshot } from './state.js';

export interface StatusServer {
  readonly address: { address: string; port: number };
  close(): Promise<void>;
}

/** The /healthz answer for a state (pure). */
export function healthz(s: StateSnapshot, open: number | undefined): { status: number; body: string } {
  const body = JSON.stringify({ state: s.state, since: new Date(s.since).toISOString(), by: s.by, open });
  return { status: s.state === 'ready' ? 200 : 503, body: `${body}\n` };
}

export async function startStatusServer(o: {
  host: string;
  port: number;
  state: DrainState;
  /** Open connections, when this process knows them. */
  open: () => number | undefined;
  metrics: () => Promise<MetricsText>;
  log: Logger;
}): Promise<StatusServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const { status, body } = healthz(o.state.snapshot(), o.open());
      res.on('finish', () => o.state.observed('healthz'));
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      return;
    }
    if (path === '/metrics') {
      o.metrics().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: Error) => {
          o.log.error({ err }, 'metrics failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
  });
  // A scraper keeping its connection alive must not hold the stop of the server.
  server.keepAliveTimeout = 5_000;
  const address = await listenOn(server, o.host, o.port, 'status port');
  server.on('error', (err) => o.log.error({ err }, 'status listener error'));
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
