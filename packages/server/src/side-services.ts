/**
 * What serves the drain state next to the line service: the control socket, the HAProxy agent port and
 * the status port. One process runs them: the only one, or the --workers primary.
 */
import type { Logger } from 'pino';
import { type AgentServer, startAgent } from './agent.js';
import { type ControlServer, startControlServer } from './control/server.js';
import type { MetricsText } from './metrics.js';
import type { ServerOptions } from './options.js';
import type { DrainState } from './state.js';
import { type StatusServer, startStatusServer } from './status-http.js';

export interface SideServices {
  control?: ControlServer;
  agent?: AgentServer;
  status?: StatusServer;
  /** Whether anything can tell a health checker the state. */
  readonly watched: boolean;
  close(): Promise<void>;
}

export type SideOptions = Pick<
  ServerOptions,
  'ctlPath' | 'agentPort' | 'agentHost' | 'host' | 'statusPort' | 'statusHost'
>;

export async function startSideServices(
  o: SideOptions & {
    state: DrainState;
    open: () => number | undefined;
    metrics: () => Promise<MetricsText>;
    log: Logger;
  },
): Promise<SideServices> {
  const side: SideServices = {
    watched: o.ctlPath !== undefined || o.agentPort !== undefined || o.statusPort !== undefined,
    async close() {
      await Promise.all([side.control?.close(), side.agent?.close(), side.status?.close()]);
    },
  };
  try {
    if (o.ctlPath !== undefined) {
      side.control = await startControlServer({ path: o.ctlPath, state: o.state, open: o.open, log: o.log });
    }
    if (o.agentPort !== undefined) {
      side.agent = await startAgent({ host: o.agentHost ?? o.host, port: o.agentPort, state: o.state, log: o.log });
    }
    if (o.statusPort !== undefined) {
      side.status = await startStatusServer({
        host: o.statusHost,
        port: o.statusPort,
        state: o.state,
        open: o.open,
        metrics: o.metrics,
        log: o.log,
      });
    }
  } catch (err) {
    await side.close();
    throw err;
  }
  o.state.on('change', ({ previous, current }) => {
    o.log.info(
      { state: current.state, previous, by: current.by, weightPercent: current.weightPercent },
      `state: ${current.state}`,
    );
  });
  return side;
}

/** The banner's fields for the side services. */
export function sideAddresses(side: SideServices): Record<string, unknown> {
  return {
    ...(side.control && { ctl: side.control.path }),
    ...(side.agent && { agentPort: side.agent.address.port }),
    ...(side.status && { statusPort: side.status.address.port, statusHost: side.status.address.address }),
  };
}
