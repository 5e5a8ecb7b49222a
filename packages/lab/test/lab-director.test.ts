import { connect, createServer, type Server } from 'node:net';
import { formatReply } from '@lvs-drain-kit/common';
import { parseIpvsadmList } from '@lvs-drain-kit/drivers';
import { afterEach, describe, expect, it } from 'vitest';
import { type LabDirector, startLabDirector } from '../src/engines/builtin/director.js';

/** Tiny line servers that answer like rs-server, in-process. */
async function lineServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('data', () => s.write(formatReply(name))).on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setEncoding('utf8');
    s.on('connect', () => s.write('hi\n'));
    s.on('data', (d: string) => {
      resolve(d.trim().replace("it's from the host: ", ''));
      s.destroy();
    });
    s.on('error', reject);
  });
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function lab(): Promise<{ d: LabDirector; vip: string; ports: number[] }> {
  const a = await lineServer('rs1');
  const b = await lineServer('rs2');
  cleanup.push(
    () => void a.server.close(),
    () => void b.server.close(),
  );
  const d = await startLabDirector({
    vip: { host: '127.0.0.1', port: 0 },
    control: { host: '127.0.0.1', port: 0 },
    reals: [
      { host: '127.0.0.1', port: a.port },
      { host: '127.0.0.1', port: b.port },
    ],
  });
  cleanup.push(() => d.close());
  return { d, vip: `127.0.0.1:${d.vip.port}`, ports: [a.port, b.port] };
}

describe('builtin lab director', () => {
  it('schedules wrr over real connections; weight 0 takes a server out of new connections', async () => {
    const { d, vip, ports } = await lab();
    const four = async () => [
      await ask(d.vip.port),
      await ask(d.vip.port),
      await ask(d.vip.port),
      await ask(d.vip.port),
    ];
    expect(await four()).toEqual(['rs1', 'rs2', 'rs1', 'rs2']);
    expect(d.ipvsadm(['-e', '-t', vip, '-r', `127.0.0.1:${ports[0]}`, '-w', '0']).exitCode).toBe(0);
    expect(await four()).toEqual(['rs2', 'rs2', 'rs2', 'rs2']);
  });

  it('answers ipvsadm in its own words and layout', async () => {
    const { d, vip, ports } = await lab();
    const list = d.ipvsadm(['-L', '-n']);
    expect(list.stdout).toContain('Prot LocalAddress:Port Scheduler Flags');
    // Grouped short options, as getopt reads them.
    expect(d.ipvsadm(['-Ln'])).toEqual(list);
    expect(parseIpvsadmList(list.stdout)[0]?.servers.map((s) => s.weight)).toEqual([1, 1]);
    const thresholds = d.ipvsadm(['-L', '-n', '--thresholds']).stdout.split('\n');
    expect(thresholds.slice(1, 3)).toEqual([
      'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ',
      '  -> RemoteAddress:Port',
    ]);
    expect(d.ipvsadm(['-e', '-t', vip, '-r', '127.0.0.9:1', '-w', '0'])).toMatchObject({
      exitCode: 1,
      stderr: 'No such destination\n',
    });
    expect(d.ipvsadm(['-L', '-n', '-t', '127.0.0.1:1'])).toMatchObject({ exitCode: 1, stderr: 'No such service\n' });
    expect(d.ipvsadm(['-e', '-t', vip, '-r', `127.0.0.1:${ports[0]}`, '-w', 'x']).exitCode).toBe(2);
    expect(d.ipvsadm(['--bogus']).exitCode).toBe(2);
    // -e without -m/-i puts the forwarding back to Route, as the kernel tool does
    d.ipvsadm(['-e', '-t', vip, '-r', `127.0.0.1:${ports[0]}`, '-m', '-w', '3']);
    d.ipvsadm(['-e', '-t', vip, '-r', `127.0.0.1:${ports[0]}`, '-w', '3']);
    expect(parseIpvsadmList(d.ipvsadm(['-L', '-n']).stdout)[0]?.servers[0]).toMatchObject({
      forwarding: 'Route',
      weight: 3,
    });
  });
});
