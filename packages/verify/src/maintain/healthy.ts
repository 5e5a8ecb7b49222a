/**
 * After the work, before the weight goes back: the server must answer directly (not through the VIP)
 * with its own name — up, serving, and the server it was before.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RealServerRef } from '@lvs-drain-kit/drivers';
import { ConnectFailure, type ProbeConnection } from '../probe/connection.js';
import { openRsLine } from '../probe/line.js';

export type Health = { ok: true; afterMs: number; attempts: number } | { ok: false; attempts: number; last: string };

/** One request to `real` (a real server directly, or the VIP): the name that answered, or why none did. */
export async function askDirectly(
  real: RealServerRef,
  timeoutMs: number,
): Promise<{ host: string } | { error: string }> {
  let conn: ProbeConnection;
  try {
    conn = await openRsLine({ host: real.host, port: real.port, timeoutMs });
  } catch (err) {
    if (err instanceof ConnectFailure) return { error: `connect: ${err.message}` };
    throw err;
  }
  const ex = await conn.ask('hello', undefined, timeoutMs);
  await conn.shutdown(timeoutMs).catch(() => conn.destroy());
  return ex.ok ? { host: ex.host } : { error: `${ex.class}: ${ex.detail}` };
}

/** Asks every 250 ms until the server answers as `name` or `timeoutMs` passed. */
export async function waitHealthy(
  real: RealServerRef,
  name: string,
  options: { timeoutMs: number; requestTimeoutMs: number; signal?: AbortSignal },
): Promise<Health> {
  const started = performance.now();
  let attempts = 0;
  let last = 'not asked';
  for (;;) {
    options.signal?.throwIfAborted();
    attempts++;
    const left = options.timeoutMs - (performance.now() - started);
    const r = await askDirectly(real, Math.max(100, Math.min(options.requestTimeoutMs, left)));
    if ('host' in r && r.host === name) return { ok: true, afterMs: Math.round(performance.now() - started), attempts };
    last = 'host' in r ? `answered as "${r.host}", not "${name}"` : r.error;
    if (performance.now() - started + 250 > options.timeoutMs) return { ok: false, attempts, last };
    await delay(250, undefined, { signal: options.signal }).catch(() => options.signal?.throwIfAborted());
  }
}
