/**
 * `--workers N`: a primary process forks N rs-server workers that share the
 * listening socket (Node cluster) and serves nothing itself. It logs the banner
 * once every worker listens, replaces a worker that dies, and on SIGTERM/SIGINT
 * asks each worker to shut down gracefully (the same --shutdown-timeout as one
 * process) and exits when the last one is gone.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** primary → worker: stop as on SIGTERM (idempotent, unlike a second signal). */
const STOP = 'rs-server:stop';

/** worker → primary: could not start; the primary prints it, once for all workers. */
interface FailedMessage {
  type: 'rs-server:failed';
  message: string;
  code: number;
}

export const isWorker = (): boolean => cluster.isWorker;

/** In a worker: calls `stop` when the primary asks for a graceful shutdown. */
export function onStopRequest(stop: () => void): void {
  process.on('message', (m) => {
    if (m === STOP) stop();
  });
}

/** In a worker that cannot start: tells the primary why and exits with `code`. */
export function failWorker(message: string, code: number): void {
  const report: FailedMessage = { type: 'rs-server:failed', message, code };
  process.send?.(report, () => process.exit(code));
}

export interface PrimaryOptions {
  workers: number;
  shutdownTimeoutMs: number;
  log: Logger;
  flush(): void;
  /** Logs the banner; called once, when every worker listens. */
  banner(address: { address: string; port: number }): void;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Runs the primary until every worker is gone; the process exits from here. */
export function runPrimary(o: PrimaryOptions): void {
  const { log } = o;
  const listening = new Set<Worker>();
  let ready = false;
  let stopping = false;
  let worstCode = 0;

  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const exit = (code: number) => {
    o.flush();
    process.exit(code);
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
      o.banner({ address: String(address.address ?? '*'), port: address.port });
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const hadListened = listening.delete(worker);
    if (code !== 0) worstCode = 1;
    if (stopping) {
      if (alive().length === 0) {
        log.info({ workers: o.workers }, 'stopped');
        exit(worstCode);
      }
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

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      for (const w of alive()) w.process.kill(signal);
      exit(SIGNAL_EXIT[signal] ?? 1);
    }
    stopping = true;
    log.info(
      { signal, workers: alive().length, shutdownTimeoutMs: o.shutdownTimeoutMs },
      'shutting down: no new connections, serving open ones',
    );
    for (const w of alive()) if (w.isConnected()) w.send(STOP);
    // Workers close what is left after the shutdown timeout themselves; this is for a worker that hangs.
    setTimeout(() => {
      for (const w of alive()) w.process.kill('SIGKILL');
    }, o.shutdownTimeoutMs + 5_000).unref();
    if (alive().length === 0) exit(worstCode);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  for (let i = 0; i < o.workers; i++) fork();
}
