/**
 * The stop on SIGTERM/SIGINT, step by step: with --drain-on-term, drain first (health checkers are told,
 * open connections go on) until none is open and a health check has seen the drain, or the drain time
 * passes; then stop accepting (after taking what the kernel already queued), serve the open connections
 * until --shutdown-timeout, close the rest.
 */
import type { Logger } from 'pino';
import type { DrainState } from './state.js';

export interface StopOptions {
  state: DrainState;
  log: Logger;
  /** What asked for the stop (a signal name), for the log. */
  by: string;
  drainOnTermMs: number;
  shutdownTimeoutMs: number;
  /** Connections open now; undefined where this process does not serve them (the --workers primary). */
  open: () => number | undefined;
  /** Whether anything can see the drain (agent, status port, control socket): then wait until one did. */
  watched: boolean;
  /** The graceful shutdown of the listener and the open connections. */
  shutdown: (timeoutMs: number) => Promise<{ closedByTimeout: number; acceptedQueued: number }>;
}

export interface StopResult {
  /** How long the drain lasted, and whether it ended with no connection open. */
  drainMs: number;
  drained: boolean;
  closedByTimeout: number;
  acceptedQueued: number;
}

const POLL_MS = 50;

/** Waits until `done()` or `ms` passes; true when done. */
async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, deadline - Date.now())));
  }
  return true;
}

export async function stopServing(o: StopOptions): Promise<StopResult> {
  const { log, state } = o;
  let drainMs = 0;
  let drained = true;
  if (o.drainOnTermMs > 0) {
    const t0 = Date.now();
    log.info(
      { signal: o.by, open: o.open(), drainOnTermMs: o.drainOnTermMs, watched: o.watched },
      'draining before the stop: health checks are told "drain", open connections go on',
    );
    state.terminate('drain', o.by);
    const seen = () => !o.watched || state.snapshot().observedSinceChange > 0;
    drained = await waitFor(() => (o.open() ?? 0) === 0 && seen(), o.drainOnTermMs);
    drainMs = Date.now() - t0;
    if (drained && o.open() === undefined) log.info({ drainMs }, 'a health check saw the drain: the workers drain now');
    else if (drained) log.info({ drainMs }, 'drained: no connection open and a health check saw the drain');
    else log.warn({ drainMs, open: o.open(), seenByHealthCheck: seen() }, 'drain time over: stopping anyway');
  }
  log.info(
    { signal: o.by, open: o.open(), shutdownTimeoutMs: o.shutdownTimeoutMs },
    'shutting down: no new connections, serving open ones',
  );
  state.terminate('stopping', o.by);
  const { closedByTimeout, acceptedQueued } = await o.shutdown(o.shutdownTimeoutMs);
  log.info({ closedByTimeout, acceptedQueued }, 'stopped');
  return { drainMs, drained, closedByTimeout, acceptedQueued };
}
