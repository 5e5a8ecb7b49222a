/**
 * After a restore without the sampler running (`undrain`): fresh connections through the VIP, one
 * every 50 ms, until one is answered by the server — the restore reached the scheduler, not only the
 * director's table.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RealServerRef } from '@lvs-drain-kit/drivers';
import { ConnectFailure } from '../probe/connection.js';
import { openRsLine } from '../probe/line.js';

/** Resolves with the milliseconds until `name` answered a new connection, or undefined after `timeoutMs`. */
export async function firstAnswerFrom(
  vip: RealServerRef,
  name: string,
  options: { timeoutMs: number; requestTimeoutMs: number; signal?: AbortSignal },
): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < options.timeoutMs) {
    options.signal?.throwIfAborted();
    try {
      const conn = await openRsLine({ host: vip.host, port: vip.port, timeoutMs: options.requestTimeoutMs });
      const ex = await conn.ask('hello', undefined, options.requestTimeoutMs);
      await conn.shutdown(options.requestTimeoutMs).catch(() => conn.destroy());
      if (ex.ok && ex.host === name) return Math.round(performance.now() - started);
    } catch (err) {
      if (!(err instanceof ConnectFailure)) throw err;
    }
    await delay(50, undefined, { signal: options.signal }).catch(() => options.signal?.throwIfAborted());
  }
  return undefined;
}
