/**
 * rs-server in one process: the line service, its drain state and the side services (control socket,
 * agent, status), and the stop sequence. The CLI wires signals to it; tests call it directly.
 */
import type { Logger } from 'pino';
import { Registry, registerDataMetrics, registerStateMetrics, singleProcessMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import { type RsServer, startRsServer } from './server.js';
import { type SideServices, sideAddresses, startSideServices } from './side-services.js';
import { DrainState } from './state.js';
import { type StopResult, stopServing } from './stop.js';
import { VERSION } from './version.js';

export interface Serving {
  readonly rs: RsServer;
  readonly state: DrainState;
  readonly side: SideServices;
  /** The banner's fields: where everything listens. */
  readonly addresses: Record<string, unknown>;
  /** The stop sequence (drain, then graceful shutdown); then the side services close. Once. */
  stop(by: string): Promise<StopResult>;
}

export type ServeOptions = Omit<ServerOptions, 'logFormat' | 'logLevel' | 'workers'> & { log: Logger };

export async function serve(o: ServeOptions): Promise<Serving> {
  const state = new DrainState();
  const rs = await startRsServer(o);
  const registry = new Registry();
  registerDataMetrics(registry, { stats: rs.stats, open: () => rs.connectionCount });
  registerStateMetrics(registry, { state: () => state.snapshot(), version: VERSION, name: o.name });
  let side: SideServices;
  try {
    side = await startSideServices({
      ...o,
      state,
      open: () => rs.connectionCount,
      metrics: singleProcessMetrics(registry),
      log: o.log,
    });
  } catch (err) {
    await rs.destroy();
    throw err;
  }
  let stopping: Promise<StopResult> | undefined;
  return {
    rs,
    state,
    side,
    addresses: { address: rs.address.address, port: rs.address.port, ...sideAddresses(side) },
    stop(by) {
      stopping ??= stopServing({
        state,
        log: o.log,
        by,
        drainOnTermMs: o.drainOnTermMs,
        shutdownTimeoutMs: o.shutdownTimeoutMs,
        open: () => rs.connectionCount,
        watched: side.watched,
        shutdown: (ms) => rs.shutdown(ms),
      }).finally(() => side.close());
      return stopping;
    },
  };
}
