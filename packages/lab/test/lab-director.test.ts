import { connect, createServer, type Server } from 'node:net';
import { formatReply } from '@lvs-drain-kit/common';
import { parseIpvsadmList } from '@lvs-drain-kit/drivers';
import { afterEach, describe, expect, it } from 'vitest';
import { type LabDirector, type LabDirectorOptions, startLabDirector } from '../src/engines/builtin/director.js';
import { PersistenceTemplates } from '../src/engines/builtin/persistence.js';
import { ShScheduler, shBucket } from '../src/engines/builtin/sh.js';

/** Tiny line servers that answer like rs-server, in-process. */
async function lineServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('data', () => s.write(formatReply(name))).on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

function ask(port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
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

/** A connection held open from `localAddress`, answered once; `close` ends it. */
async function hold(port: number, localAddress: string): Promise<{ host: string; close: () => void }> {
  const s = connect({ host: '127.0.0.1', port, localAddress });
  s.setEncoding('utf8');
  const host = await new Promise<string>((resolve, reject) => {
    s.once('connect', () => s.write('hi\n'));
    s.once('data', (d: string) => resolve(d.trim().replace("it's from the host: ", '')));
    s.once('error', reject);
  });
  return { host, close: () => s.destroy() };
}

async function lab(
  options: Pick<LabDirectorOptions, 'scheduler' | 'persistent' | 'expireQuiescentTemplate'> = {},
): Promise<{ d: LabDirector; vip: string; ports: number[] }> {
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
    ...options,
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

/** Client addresses on loopback: every 127.0.0.0/8 address is this host's. */
const clients = Array.from({ length: 16 }, (_, i) => `127.0.1.${i + 1}`);

describe('builtin lab director: source hashing and persistence', () => {
  it('sh: one client address, one server; clients spread over both; a weight-0 bucket refuses its clients', async () => {
    const { d, vip, ports } = await lab({ scheduler: 'sh' });
    expect(d.ipvsadm(['-L', '-n']).stdout).toMatch(/TCP {2}127\.0\.0\.1:\d+ sh\n/);
    const first = await Promise.all(clients.map((c) => ask(d.vip.port, c)));
    expect(await Promise.all(clients.map((c) => ask(d.vip.port, c)))).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['rs1', 'rs2']));
    d.ipvsadm(['-e', '-t', vip, '-r', `127.0.0.1:${ports[0]}`, '-w', '0']);
    const after = await Promise.all(clients.map((c) => ask(d.vip.port, c).catch(() => 'refused')));
    // As ip_vs_sh without sh-fallback: the drained server keeps its buckets, and their clients get nothing.
    expect(after).toEqual(first.map((h) => (h === 'rs1' ? 'refused' : 'rs2')));
  });

  it('-p: a client stays with its server; with weight 0 its template still sends it there unless expire_quiescent_template', async () => {
    for (const expireQuiescentTemplate of [false, true]) {
      const { d, vip, ports } = await lab({ persistent: 300, expireQuiescentTemplate });
      expect(d.ipvsadm(['-L', '-n']).stdout).toMatch(/ wrr persistent 300\n/);
      const held = await Promise.all(clients.slice(0, 4).map((c) => hold(d.vip.port, c)));
      const hosts = held.map((h) => h.host);
      // wrr hands the first four clients out in turn; each then keeps its server.
      expect(hosts).toEqual(['rs1', 'rs2', 'rs1', 'rs2']);
      for (const [i, c] of clients.slice(0, 4).entries()) expect(await ask(d.vip.port, c)).toBe(hosts[i]);
      d.ipvsadm(['-e', '-t', vip, '-r', `127.0.0.1:${ports[0]}`, '-w', '0']);
      const known = await ask(d.vip.port, clients[0]!);
      expect(known).toBe(expireQuiescentTemplate ? 'rs2' : 'rs1');
      // A client without a template goes to the servers with weight.
      expect(await ask(d.vip.port, clients[10]!)).toBe('rs2');
      for (const h of held) h.close();
    }
  });

  it('ipvsadm -E sets scheduler and persistence as given, and refuses a scheduler it does not have', async () => {
    const { d, vip } = await lab();
    expect(d.ipvsadm(['-E', '-t', vip, '-s', 'sh', '-p', '60']).exitCode).toBe(0);
    expect(d.ipvsadm(['-L', '-n']).stdout).toMatch(/ sh persistent 60\n/);
    expect(d.ipvsadm(['-E', '-t', vip, '-s', 'wrr']).exitCode).toBe(0);
    expect(d.ipvsadm(['-L', '-n']).stdout).toMatch(/ wrr\n/);
    expect(d.ipvsadm(['-E', '-t', vip, '-s', 'mh'])).toMatchObject({
      exitCode: 1,
      stderr: 'Scheduler not found: the builtin lab has wrr, rr, sh\n',
    });
  });
});

describe('ip_vs_sh and persistence templates (pure)', () => {
  it('hashes the last octet of an IPv4 client as the kernel does, and hands out buckets by weight', () => {
    expect(shBucket('198.18.0.161')).toBe((161 * 0xb1) % 256);
    expect(shBucket('::ffff:10.0.0.1')).toBe(0xb1);
    const dests = [{ weight: 1 }, { weight: 3 }];
    const sh = new ShScheduler(dests);
    const counts = [0, 0];
    for (let i = 0; i < 256; i++) counts[sh.schedule(dests, `10.0.${i >> 8}.${i & 255}`)!]!++;
    expect(counts).toEqual([64, 192]);
    // Weight 0: still one bucket per turn (ip_vs_sh_reassign), every one of them refusing.
    const drained = [{ weight: 0 }, { weight: 1 }];
    sh.destChanged(drained);
    const got = Array.from({ length: 256 }, (_, i) => sh.schedule(drained, `10.0.0.${i}`));
    expect(got.filter((x) => x === undefined)).toHaveLength(128);
    expect(got.filter((x) => x === 1)).toHaveLength(128);
  });

  it('a template lives while it controls connections and its timeout after the last one', () => {
    let now = 0;
    const t = new PersistenceTemplates<string>(1000, () => now);
    const end = t.connected('c1', 'rs1');
    now = 5000;
    expect(t.lookup('c1', () => false, false)?.dest).toBe('rs1');
    end();
    now = 5999;
    expect(t.lookup('c1', () => false, false)?.dest).toBe('rs1');
    expect(t.lookup('c1', () => true, true)).toBeUndefined();
    t.connected('c1', 'rs1')();
    now = 7000;
    expect(t.lookup('c1', () => false, false)).toBeUndefined();
    expect(t.size).toBe(0);
  });
});
