/** Probes against test services on 127.0.0.1, opened as a run opens them to the VIP. */
import type { Server } from 'node:net';
import { afterEach } from 'vitest';
import type { ProbeSession } from '../../src/probe/connection.js';
import { createProbe, type ProbeSpec } from '../../src/probe/spec.js';

/** One connection of the probe `spec` to 127.0.0.1:`port`; `identify`: its answers must name the server. */
export async function openProbe(spec: ProbeSpec, port: number, identify = true): Promise<ProbeSession> {
  const probe = await createProbe(spec, { identify, vipText: `127.0.0.1:${port}` });
  return probe.open({ host: '127.0.0.1', port, timeoutMs: 1000 });
}

/** Registers an afterEach that closes every server handed to the returned function (and its connections). */
export function closeAfterEach(): (server: Server) => void {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      (s as { closeAllConnections?(): void }).closeAllConnections?.();
      await new Promise((r) => s.close(r));
    }
  });
  return (server) => {
    servers.push(server);
  };
}
