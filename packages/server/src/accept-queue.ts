/**
 * Connections the kernel has completed the handshake for but the server has not accepted yet: closing a
 * listener resets them. Node takes at most one such connection per event-loop turn, so a server that
 * stops on a signal first turns the loop until a whole turn brings no new connection: the poll of every
 * turn sees the listener while its queue is not empty. Two turns, because the first check phase may
 * follow the very poll that delivered the signal.
 */
import type { Server } from 'node:net';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Accepts what waits in the queue now (bounded by `timeoutMs`); resolves with how many were taken. */
export async function acceptQueued(server: Server, timeoutMs: number): Promise<number> {
  let taken = 0;
  const onTaken = () => taken++;
  // A connection refused by --max-connections is taken off the queue too.
  server.on('connection', onTaken).on('drop', onTaken);
  try {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 2 && Date.now() < deadline) {
      const before = taken;
      await turn();
      quiet = taken === before ? quiet + 1 : 0;
    }
    return taken;
  } finally {
    server.off('connection', onTaken).off('drop', onTaken);
  }
}
