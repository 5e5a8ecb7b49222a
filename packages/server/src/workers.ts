/**
 * `--workers N`: a primary process forks N rs-server workers that share the listening socket (Node
 * cluster) and serves no line itself. It holds the drain state and the side services (control socket,
 * agent, status port; /metrics sums the workers'), logs the banner once every worker listens, replaces a
 * worker that dies, and on SIGTERM/SIGINT runs the stop sequence: the drain (until a health check saw
 * it), then each worker drains its own connections for the rest of --drain-on-term and shuts down
 * gracefully; the primary exits when the last one is gone.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { clusterMetrics, Registry, registerStateMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import { type SideServices, sideAddresses, startSideServices } from './side-services.js';
import { DrainState } from './state.js';
import { stopServing } from './stop.js';
import { VERSION } from './version.js';

/** primary → worker: stop as on SIGTERM, draining first for `drainMs` (idempotent, unlike a second signal). */
interface StopMessage {
  type: 'rs-server:stop';
  drainMs: number;
}

/** worker → primary: could not start; the primary prints it, once for all workers. */
interface FailedMessage {
  type: 'rs-server:failed';
  message: string;
  code: number;
}

export const isWorker = (): boolean => cluster.isWorker;

/** In a worker: calls `stop` when the primary asks for a graceful shutdown. */
export function onStopRequest(stop: (drainMs: number) => void): void {
  process.on('message', (m: StopMessage) => {
    if (m?.type === 'rs-server:stop') stop(m.drainMs);
  });
}

/** In a worker that cannot start: tells the primary why and exits with `code`. */
export function failWorker(message: string, code: number): void {
  const report: FailedMessage = { type: 'rs-server:failed', message, code };
  process.send?.(report, () => process.exit(code));
}

export type PrimaryOptions = Pick<
  ServerOptions,
  | 'workers'
  | 'name'
  | 'shutdownTimeoutMs'
  | 'drainOnTermMs'
  | 'host'
  | 'ctlPath'
  | 'agentPort'
  | 'agentHost'
  | 'statusPort'
  | 'statusHost'
> & {
  log: Logger;
  flush(): Promise<void>;
  /** Logs the banner; called once, when every worker listens. */
  banner(fields: Record<string, unknown> & { port: number }): void;
};

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Runs the primary until every worker is gone; the process exits from here. */
export async function runPrimary(o: PrimaryOptions): Promise<void> {
  const { log } = o;
  const state = new DrainState();
  const registry = new Registry();
  registerStateMetrics(registry, { state: () => state.snapshot(), version: VERSION, name: o.name });
  const side: SideServices = await startSideServices({
    ...o,
    state,
    open: () => undefined,
    metrics: clusterMetrics(registry),
  });
  const listening = new Set<Worker>();
  let ready = false;
  let stopping = false;
  let worstCode = 0;
  let allGone: (() => void) | undefined;

  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const exit = (code: number) => {
    void o.flush().then(() => process.exit(code));
  };
  /** A worker could not start: one line on stderr for all of them, and its exit code. */
  const fatal = (message: string, code: number) => {
    process.stderr.write(`rs-server: ${message}\n`);
    for (const w of alive()) w.process.kill('SIGKILL');
    exit(code);
  };
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (m: FailedMessage) => {
      if (m?.type === 'rs-server:failed' && !stopping) fatal(m.message, m.code);
    });
  };

  cluster.on('listening', (worker, address) => {
    listening.add(worker);
    if (!ready && listening.size === o.workers) {
      ready = true;
      o.banner({ address: String(address.address ?? '*'), port: address.port, ...sideAddresses(side) });
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const hadListened = listening.delete(worker);
    if (code !== 0) worstCode = 1;
    if (stopping) {
      if (alive().length === 0) allGone?.();
      return;
    }
    if (!hadListened) {
      // A worker that never got to listen will not do better on a retry (bad port, address, permissions).
      // Its own report (FailedMessage) may still be on the way: give it a moment to arrive first.
      setTimeout(() => fatal(`a worker exited before listening (${code ?? signal})`, code || 1), 200);
      return;
    }
    log.error({ workerPid: worker.process.pid, code, signal }, 'worker died: starting another');
    fork();
  });

  /** The workers' part of the stop: each drains for what is left of the drain time, then shuts down. */
  const stopWorkers = (drainMs: number) => (shutdownTimeoutMs: number) => {
    let resolveGone = () => {};
    const gone = new Promise<void>((resolve) => {
      resolveGone = resolve;
    });
    allGone = resolveGone;
    const message: StopMessage = { type: 'rs-server:stop', drainMs };
    for (const w of alive()) if (w.isConnected()) w.send(message);
    // Workers close what is left after the shutdown timeout themselves; this is for a worker that hangs.
    setTimeout(
      () => {
        for (const w of alive()) w.process.kill('SIGKILL');
      },
      drainMs + shutdownTimeoutMs + 5_000,
    ).unref();
    if (alive().length === 0) resolveGone();
    return gone.then(() => ({ closedByTimeout: 0, acceptedQueued: 0 }));
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      for (const w of alive()) w.process.kill(signal);
      exit(SIGNAL_EXIT[signal] ?? 1);
    }
    stopping = true;
    const t0 = Date.now();
    stopServing({
      state,
      log,
      by: signal,
      drainOnTermMs: o.drainOnTermMs,
      shutdownTimeoutMs: o.shutdownTimeoutMs,
      // The primary serves no connection: its drain waits for a health check; the workers wait for theirs.
      open: () => undefined,
      watched: side.watched,
      shutdown: (ms) => stopWorkers(Math.max(0, o.drainOnTermMs - (Date.now() - t0)))(ms),
    })
      .then(() => side.close())
      .then(() => exit(worstCode));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGUSR2', () => toggleDrain(state, log));

  for (let i = 0; i < o.workers; i++) fork();
}

/** SIGUSR2: drain ↔ ready, logged; ignored (with a record) while the server stops. */
export function toggleDrain(state: DrainState, log: Logger): void {
  try {
    state.toggleDrain('SIGUSR2');
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : err }, 'SIGUSR2 ignored');
  }
}
