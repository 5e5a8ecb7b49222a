import type { ProbeConnection } from '../probe/connection.js';
import { BATCH, TurnGate } from './pacing.js';

/**
 * Says `shutdown` on every connection, a batch per event-loop turn: ten thousand at once would hold the
 * verifier's loop for a quarter of a second and more.
 */
export async function closeAll(conns: readonly ProbeConnection[], timeoutMs: number): Promise<void> {
  const gate = new TurnGate();
  const closing: Array<Promise<void>> = [];
  for (let i = 0; i < conns.length; i += BATCH) {
    await gate.pass();
    for (const c of conns.slice(i, i + BATCH)) closing.push(c.shutdown(timeoutMs).catch(() => c.destroy()));
  }
  await Promise.all(closing);
}
