/**
 * After a restore without the sampler running (`undrain`): fresh connections through the VIP, one
 * every 50 ms, until one is answered by the server — the restore reached the scheduler, not only the
 * director's table.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RealServerRef } from '@lvs-drain-kit/drivers';
import { askDirectly } from './healthy.js';

/** Resolves with the milliseconds until `name` answered a new connection, or undefined after `timeoutMs`. */
export async function firstAnswerFrom(
  vip: RealServerRef,
  name: string,
  options: { timeoutMs: number; requestTimeoutMs: number; signal?: AbortSignal },
): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < options.timeoutMs) {
    options.signal?.throwIfAborted();
    const r = await askDirectly(vip, options.requestTimeoutMs);
    if ('host' in r && r.host === name) return Math.round(performance.now() - started);
    await delay(50, undefined, { signal: options.signal }).catch(() => options.signal?.throwIfAborted());
  }
  return undefined;
}
