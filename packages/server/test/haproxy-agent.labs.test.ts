/**
 * Drain from the server's side through a real HAProxy (Debian's), on 127.0.0.1, configured with the
 * backend of examples/haproxy.cfg (testkit's agent cluster). `rs-server ctl drain` → HAProxy marks the
 * server DRAIN by itself; old connections go on, new ones avoid it; `ctl ready` brings it back; `ctl
 * weight 50` sets half its weight; a SIGTERM with --drain-on-term drains before the stop.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { type AgentCluster, openLineClient, startAgentCluster } from '@lvs-drain-kit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
let cluster: AgentCluster;

beforeAll(async () => {
  cluster = await startAgentCluster({ serverArgs: ['--drain-on-term', '10s', '--shutdown-timeout', '5s'] });
});

afterAll(async () => {
  await cluster?.stop();
});

const ctl = (name: string, ...request: string[]) =>
  exec(process.execPath, [RS_SERVER_BIN, 'ctl', ...request, '--ctl', cluster.servers[name]!.ctl]);

/** Connections through HAProxy, each having sent one line; the name of the server that answered each. */
async function openThrough(n: number) {
  const clients = await Promise.all(Array.from({ length: n }, () => openLineClient(cluster.front.port)));
  const served = await Promise.all(
    clients.map(async (c) => {
      c.send('hello\n');
      return (await c.waitForLines(1))[0]!.replace("it's from the host: ", '');
    }),
  );
  return { clients, served };
}

describe('HAProxy agent-check drains an rs-server that asks for it (real HAProxy)', () => {
  it('ctl drain: HAProxy sets DRAIN itself, old connections go on, new ones avoid it; ctl ready: back', async () => {
    const { stat, until, newConnections } = cluster;
    expect(new Set(await newConnections(6))).toEqual(new Set(['rs1', 'rs2']));
    const old = await openThrough(6);
    const onRs1 = old.clients.filter((_, i) => old.served[i] === 'rs1');
    expect(onRs1.length).toBeGreaterThan(0);

    await ctl('rs1', 'drain');
    expect(
      await until(
        () => stat('rs1'),
        (s) => s.status !== 'UP',
      ),
    ).toEqual({ status: 'DRAIN (agent)', weight: 100 });
    expect((await stat('rs2')).status).toBe('UP');

    // Old connections on rs1 go on; every new connection goes to rs2.
    for (const c of onRs1) {
      c.send('still there\n');
      expect((await c.waitForLines(2))[1]).toBe("it's from the host: rs1");
    }
    expect(new Set(await newConnections(10))).toEqual(new Set(['rs2']));

    await ctl('rs1', 'ready');
    expect(
      await until(
        () => stat('rs1'),
        (s) => s.status === 'UP',
      ),
    ).toEqual({ status: 'UP', weight: 100 });
    expect(new Set(await newConnections(6))).toEqual(new Set(['rs1', 'rs2']));
    for (const c of old.clients) c.socket.destroy();
  });

  it('ctl maint takes the server out (MAINT) and ctl ready brings it back; ctl weight 50 halves its weight', async () => {
    const { stat, until, newConnections } = cluster;
    await ctl('rs1', 'maint');
    expect(
      (
        await until(
          () => stat('rs1'),
          (s) => s.status !== 'UP',
        )
      ).status,
    ).toMatch(/^MAINT/);
    expect(new Set(await newConnections(6))).toEqual(new Set(['rs2']));
    await ctl('rs1', 'ready');
    await until(
      () => stat('rs1'),
      (s) => s.status === 'UP',
    );

    await ctl('rs1', 'weight', '50');
    expect(
      await until(
        () => stat('rs1'),
        (s) => s.weight !== 100,
      ),
    ).toEqual({ status: 'UP', weight: 50 });
    await ctl('rs1', 'weight', '100');
    await until(
      () => stat('rs1'),
      (s) => s.weight === 100,
    );
    await ctl('rs1', 'weight', 'none');
  });

  it('SIGTERM with --drain-on-term: HAProxy drains the server before it stops; its open connection goes on', async () => {
    const { stat, until, newConnections } = cluster;
    const rs2 = cluster.servers.rs2!;
    const old = await openThrough(4);
    const onRs2 = old.clients[old.served.indexOf('rs2')]!;
    rs2.child.kill('SIGTERM');
    expect(
      (
        await until(
          () => stat('rs2'),
          (s) => s.status !== 'UP',
        )
      ).status,
    ).toBe('DRAIN (agent)');
    expect(new Set(await newConnections(6))).toEqual(new Set(['rs1']));
    onRs2.send('still there\n');
    expect((await onRs2.waitForLines(2))[1]).toBe("it's from the host: rs2");
    for (const c of old.clients) c.socket.destroy();
    expect(await rs2.exited).toBe(0);
    expect(rs2.records.map((r) => r.msg).filter((m) => /^(drain|shutting|stopped)/.test(String(m)))).toEqual([
      'draining before the stop: health checks are told "drain", open connections go on',
      'drained: no connection open and a health check saw the drain',
      'shutting down: no new connections, serving open ones',
      'stopped',
    ]);
  });
});
