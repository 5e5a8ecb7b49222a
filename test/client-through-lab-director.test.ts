import { formatHostPort } from '@lvs-drain-kit/common';
import { type LabDirector, startLabDirector } from '@lvs-drain-kit/lab';
import {
  LVS_CLIENT_BIN as CLIENT_BIN,
  count,
  runClient,
  type SpawnedServer,
  spawnRsServer,
  startClient,
  TmuxPane,
} from '@lvs-drain-kit/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * The manual check of the drain procedure, with lvs-client in the operator's place: two real
 * rs-servers behind the builtin lab director (a userspace wrr scheduler driven by ipvsadm commands).
 */
describe('lvs-client through the builtin lab director', () => {
  let reals: SpawnedServer[] = [];
  let director: LabDirector | undefined;
  let pane: TmuxPane | undefined;
  let vip: string;

  beforeEach(async () => {
    reals = await Promise.all([
      spawnRsServer(['--name', 'rs1'], '127.0.0.2'),
      spawnRsServer(['--name', 'rs2'], '127.0.0.3'),
    ]);
    director = await startLabDirector({
      vip: { host: '127.0.0.1', port: 0 },
      control: { host: '127.0.0.1', port: 0 },
      reals: reals.map((r) => ({ host: r.host, port: r.port })),
    });
    vip = `127.0.0.1:${director.vip.port}`;
  });
  afterEach(async () => {
    await pane?.kill();
    pane = undefined;
    await director?.close();
    await Promise.all(reals.map((r) => r.stop()));
  });

  const rip = (name: string) => {
    const r = reals[name === 'rs1' ? 0 : 1]!;
    return formatHostPort({ host: r.host, port: r.port });
  };
  const drain = (name: string) => {
    expect(director!.ipvsadm(['-e', '-t', vip, '-r', rip(name), '-w', '0']).exitCode).toBe(0);
  };
  const probeJson = async (...args: string[]) => {
    const r = await runClient(['probe', vip, '--interval', '0', '--json', ...args]);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as { perServer: Record<string, number>; answered: number };
  };

  it('probe: new connections spread over both servers, and only the other one after a drain; a held connection keeps its server', async () => {
    expect((await probeJson('--count', '4')).perServer).toEqual({ rs1: 2, rs2: 2 });

    // A connection held open through the drain (scripted mode, stdin left open).
    const held = startClient(['connect', vip]);
    try {
      held.child.stdin.write('before\n');
      const [, server] = await held.waitFor('stdout', /^it's from the host: (rs\d)$/m);
      const other = server === 'rs1' ? 'rs2' : 'rs1';
      drain(server!);

      expect((await probeJson('--count', '4')).perServer).toEqual({ [other]: 4 });
      held.child.stdin.end('after\n');
      const [code] = await new Promise<[number | null]>((r) => held.child.once('close', (c) => r([c])));
      expect(code).toBe(0);
      expect(held.stdout()).toBe(`it's from the host: ${server}\n`.repeat(2));
    } finally {
      await held.stop();
    }
  });

  it('probe --same-connection keeps one server for all its probes', async () => {
    const r = await probeJson('--count', '5', '--same-connection');
    expect(r.answered).toBe(5);
    expect(Object.values(r.perServer)).toEqual([5]);
  });

  it('interactive: /repeat keeps getting answers from its server while that server is drained', async () => {
    pane = await TmuxPane.start(`'${process.execPath}' '${CLIENT_BIN}' connect ${vip} --no-history`);
    await pane.waitFor(/> $/m);
    await pane.line('first');
    const [, server] = /R: it's from the host: (rs\d)$/m.exec(await pane.waitFor(/R: it's from the host: rs\d$/m))!;
    await pane.line('/repeat 10 200 during the drain');
    const before = await pane.waitFor((s) => count(s, 'S: during the drain') >= 2);
    drain(server!);
    // Some of the lines go out after the drain, or the test would prove nothing.
    expect(count(before, 'S: during the drain')).toBeLessThan(10);
    await pane.waitFor('repeat done');
    await pane.waitFor((s) => count(s, "R: it's from the host:") === 11);
    await pane.line('/stats');
    const screen = await pane.waitFor(new RegExp(`^${server}\\s+11\\s+100\\.0%$`, 'm'));
    expect(screen).not.toMatch(/\*: connection (closed|reset)/);
    await pane.keys('C-d');
    await pane.waitFor(/^EXIT=0$/m);
  });
});
