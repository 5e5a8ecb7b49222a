import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandResult, CommandTransport } from '@lvs-drain-kit/common';
import { startLabDirector } from '@lvs-drain-kit/lab';
import { describe, expect, it } from 'vitest';
import { createHaproxyDriver } from '../src/drivers/haproxy.js';
import { parseShowSess } from '../src/drivers/haproxy-sessions.js';
import { createIpvsadmDriver } from '../src/drivers/ipvsadm.js';
import { formatIpvsadmConnections, parseIpvsadmConnections } from '../src/drivers/ipvsadm-connections.js';
import { createKeepalivedDriver } from '../src/drivers/keepalived.js';
import { createNftDriver } from '../src/drivers/nft.js';
import { parseConntrackFlows } from '../src/drivers/nft-connections.js';

/**
 * Each driver's connection table, read from what the real tools printed in the labs: ipvsadm 1.31 on
 * Debian 6.1 (IPVS DR), HAProxy 2.6.12 `show sess`, conntrack-tools 1.4.7 after the nft lab's DNAT.
 */
const IPVSADM_LNC = `IPVS connection entries
pro expire state       source             virtual            destination
TCP 14:57  ESTABLISHED 198.18.0.10:33338  198.18.0.100:2100  198.18.0.12:2100
TCP 14:57  ESTABLISHED 198.18.0.10:33336  198.18.0.100:2100  198.18.0.11:2100
TCP 01:47  FIN_WAIT    198.18.0.10:33330  198.18.0.100:2100  198.18.0.12:2100
TCP 04:59  NONE        198.18.0.10:0      198.18.0.100:80    198.18.0.11:80
TCP 14:59  ESTABLISHED 198.18.0.10:40100  198.18.0.100:8080  198.18.0.11:8080
UDP 04:59  UDP         198.18.0.10:5353   198.18.0.100:2100  198.18.0.11:2100
`;

const SHOW_SESS = `0x556797077a10: proto=tcpv4 src=198.18.0.10:42752 fe=lab be=lab srv=rs1 ts=00 epoch=0 age=1s calls=2 rate=0 cpu=0 lat=0 rq[f=848202h,i=0,an=00h,rx=9m58s,wx=,ax=] rp[f=80048202h,i=0,an=00h,rx=9m58s,wx=,ax=] scf=[8,0h,fd=11] scb=[8,1h,fd=12] exp=0s rc=0 c_exp=
0x556797188ea0: proto=tcpv4 src=198.18.0.10:42770 fe=lab be=lab srv=rs1 ts=00 epoch=0 age=1s calls=2 rate=0 cpu=0 lat=0 rq[f=848202h,i=0,an=00h,rx=9m58s,wx=,ax=] rp[f=80048202h,i=0,an=00h,rx=9m58s,wx=,ax=] scf=[8,0h,fd=14] scb=[8,1h,fd=16] exp=0s rc=0 c_exp=
0x7f752402e880: proto=tcpv4 src=198.18.0.10:42756 fe=lab be=lab srv=rs2 ts=00 epoch=0 age=1s calls=2 rate=0 cpu=0 lat=0 rq[f=848202h,i=0,an=00h,rx=9m58s,wx=,ax=] rp[f=80048202h,i=0,an=00h,rx=9m58s,wx=,ax=] scf=[8,0h,fd=13] scb=[8,1h,fd=15] exp=0s rc=0 c_exp=
0x7f752402e990: proto=tcpv4 src=198.18.0.10:42800 fe=lab_http be=lab_http srv=rs2 ts=00 epoch=0 age=1s calls=2 rate=0 cpu=0 lat=0 rq[f=848202h,i=0,an=00h,rx=9m58s,wx=,ax=] rp[f=80048202h,i=0,an=00h,rx=9m58s,wx=,ax=] scf=[8,0h,fd=13] scb=[8,1h,fd=15] exp=0s rc=0 c_exp=
0x7f752402eaa0: proto=tcpv4 src=198.18.0.10:42802 fe=lab be=lab srv=<none> ts=00 epoch=0 age=0s calls=1 rate=0 cpu=0 lat=0 rq[f=848202h,i=0,an=00h,rx=9m58s,wx=,ax=] rp[f=80048202h,i=0,an=00h,rx=9m58s,wx=,ax=] scf=[8,0h,fd=13] scb=[8,1h,fd=-1] exp=0s rc=0 c_exp=
0x7f75240375b0: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 epoch=0 age=0s calls=1 rate=1 cpu=0 lat=0 rq[f=c08002h,i=0,an=00h,rx=10s,wx=,ax=] rp[f=80008002h,i=0,an=00h,rx=,wx=,ax=] scf=[8,0h,fd=17] scb=[8,1h,fd=-1] exp=9s rc=0 c_exp=

`;

const SERVERS_STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 lab 1 rs1 198.18.0.11 2 0 1 1 3 1 0 2 0 0 0 0 - 2100 - 0 0 - - 0
3 lab 2 rs2 198.18.0.12 2 0 1 1 3 1 0 2 0 0 0 0 - 2100 - 0 0 - - 0
`;

const CONNTRACK = `tcp      6 431998 ESTABLISHED src=198.18.0.10 dst=198.18.0.2 sport=33664 dport=2100 src=198.18.0.11 dst=198.18.0.2 sport=2100 dport=33664 [ASSURED] mark=0 use=1
tcp      6 431998 ESTABLISHED src=198.18.0.10 dst=198.18.0.2 sport=33686 dport=2100 src=198.18.0.11 dst=198.18.0.2 sport=2100 dport=33686 [ASSURED] mark=0 use=1
tcp      6 117 TIME_WAIT src=198.18.0.10 dst=198.18.0.2 sport=33670 dport=2100 src=198.18.0.12 dst=198.18.0.2 sport=2100 dport=33670 [ASSURED] mark=0 use=1
`;

function transport(answer: (argv: readonly string[]) => CommandResult, calls: string[][] = []): CommandTransport {
  return {
    description: 'test',
    async run(argv) {
      calls.push([...argv]);
      return answer(argv);
    },
  };
}

const ok = (stdout: string, stderr = ''): CommandResult => ({ stdout, stderr, exitCode: 0 });

describe('ipvsadm -L -n -c', () => {
  it('parses every entry, persistence templates included', () => {
    const entries = parseIpvsadmConnections(IPVSADM_LNC);
    expect(entries).toHaveLength(6);
    expect(entries[2]).toEqual({
      protocol: 'TCP',
      expire: '01:47',
      state: 'FIN_WAIT',
      client: { host: '198.18.0.10', port: 33330 },
      virtual: { host: '198.18.0.100', port: 2100 },
      server: { host: '198.18.0.12', port: 2100 },
    });
    expect(entries[3]?.client.port).toBe(0);
  });

  it('the formatter prints what the parser reads back', () => {
    const entries = parseIpvsadmConnections(IPVSADM_LNC);
    expect(parseIpvsadmConnections(formatIpvsadmConnections(entries))).toEqual(entries);
    expect(formatIpvsadmConnections(entries.slice(0, 1))).toBe(`${IPVSADM_LNC.split('\n').slice(0, 3).join('\n')}\n`);
  });

  it('refuses a line it does not understand', () => {
    expect(() => parseIpvsadmConnections('TCP soon ESTABLISHED a b c\n')).toThrow(/unexpected line/);
  });

  // keepalived programs IPVS: its driver reads the same kernel table.
  it.each([
    { driver: 'ipvsadm', create: createIpvsadmDriver, table: 'ipvsadm -L -n -c' },
    { driver: 'keepalived', create: createKeepalivedDriver, table: 'ipvsadm -L -n -c of the keepalived director' },
  ])(
    'the $driver driver lists the TCP connections of the one service, without templates',
    async ({ create, table }) => {
      const calls: string[][] = [];
      const driver = create({ transport: transport(() => ok(IPVSADM_LNC), calls) });
      expect(driver.connectionTable).toBe(table);
      const list = await driver.listConnections!({ vip: { host: '198.18.0.100', port: 2100 } });
      expect(calls).toEqual([['ipvsadm', '-L', '-n', '-c']]);
      expect(list).toEqual([
        {
          client: { host: '198.18.0.10', port: 33338 },
          server: { host: '198.18.0.12', port: 2100 },
          state: 'ESTABLISHED',
        },
        {
          client: { host: '198.18.0.10', port: 33336 },
          server: { host: '198.18.0.11', port: 2100 },
          state: 'ESTABLISHED',
        },
        {
          client: { host: '198.18.0.10', port: 33330 },
          server: { host: '198.18.0.12', port: 2100 },
          state: 'FIN_WAIT',
        },
      ]);
    },
  );
});

describe('HAProxy show sess', () => {
  it('parses sessions: client, frontend, backend, server (none until assigned)', () => {
    const s = parseShowSess(SHOW_SESS);
    expect(s).toHaveLength(6);
    expect(s[0]).toEqual({
      proto: 'tcpv4',
      client: { host: '198.18.0.10', port: 42752 },
      frontend: 'lab',
      backend: 'lab',
      server: 'rs1',
    });
    expect(s[4]?.server).toBeUndefined();
    expect(s[5]).toMatchObject({ proto: 'unix_stream', client: undefined, server: undefined });
  });

  it('reads an IPv6 client (no brackets in show sess)', () => {
    const [s] = parseShowSess('0x1: proto=tcpv6 src=2001:db8::10:40000 fe=f be=b srv=a ts=00\n');
    expect(s?.client).toEqual({ host: '2001:db8::10', port: 40000 });
  });

  it('the driver lists the backend sessions that have a server, by the servers’ addresses', async () => {
    const { socket, commands, close } = await fakeRuntimeApi({
      'show sess': SHOW_SESS,
      'show servers state lab': SERVERS_STATE,
    });
    try {
      const driver = createHaproxyDriver({ socket, backend: 'lab' });
      expect(driver.connectionTable).toBe('HAProxy show sess');
      const list = await driver.listConnections!({ vip: { host: '198.18.0.2', port: 2100 } });
      expect(list).toEqual([
        { client: { host: '198.18.0.10', port: 42752 }, server: { host: '198.18.0.11', port: 2100 } },
        { client: { host: '198.18.0.10', port: 42770 }, server: { host: '198.18.0.11', port: 2100 } },
        { client: { host: '198.18.0.10', port: 42756 }, server: { host: '198.18.0.12', port: 2100 } },
      ]);
      expect(commands).toContain('show sess');
    } finally {
      await close();
    }
  });
});

describe('conntrack -L after the DNAT', () => {
  it('parses both directions of every flow', () => {
    const flows = parseConntrackFlows(CONNTRACK);
    expect(flows).toHaveLength(3);
    expect(flows[2]).toEqual({
      state: 'TIME_WAIT',
      original: { src: '198.18.0.10', dst: '198.18.0.2', sport: 33670, dport: 2100 },
      reply: { src: '198.18.0.12', dst: '198.18.0.2', sport: 2100, dport: 33670 },
    });
  });

  it('refuses a line it does not understand', () => {
    expect(() => parseConntrackFlows('udp 17 29 src=1.2.3.4\n')).toThrow(/unexpected conntrack line/);
  });

  it('the driver asks conntrack for the flows to the VIP and names the server by the reply source', async () => {
    const calls: string[][] = [];
    const driver = createNftDriver({
      transport: transport(
        (argv) =>
          argv[0] === 'conntrack'
            ? ok(CONNTRACK, 'conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.\n')
            : { stdout: '', stderr: 'no', exitCode: 1 },
        calls,
      ),
      table: 't',
      chain: 'c',
      map: 'm',
    });
    const list = await driver.listConnections!({ vip: { host: '198.18.0.2', port: 2100 } });
    expect(calls).toEqual([['conntrack', '-L', '-p', 'tcp', '--orig-dst', '198.18.0.2', '--orig-port-dst', '2100']]);
    expect(list.map((c) => [c.client.port, c.server.host, c.state])).toEqual([
      [33664, '198.18.0.11', 'ESTABLISHED'],
      [33686, '198.18.0.11', 'ESTABLISHED'],
      [33670, '198.18.0.12', 'TIME_WAIT'],
    ]);
  });

  it('a director without conntrack is a driver error that says what to install', async () => {
    const driver = createNftDriver({
      transport: transport(() => ({ stdout: '', stderr: 'conntrack: not found', exitCode: 127 })),
      table: 't',
      chain: 'c',
      map: 'm',
    });
    await expect(driver.listConnections!({ vip: { host: '198.18.0.2', port: 2100 } })).rejects.toThrow(
      /apt-get install conntrack/,
    );
  });
});

describe('the builtin lab director', () => {
  it('lists its open relays as ipvsadm -L -n -c does, each client with the server it is relayed to', async () => {
    const backends = await Promise.all([listenEcho('127.0.0.2'), listenEcho('127.0.0.3')]);
    const d = await startLabDirector({
      vip: { host: '127.0.0.1', port: 0 },
      control: { host: '127.0.0.1', port: 0 },
      reals: backends.map((b) => b.address),
    });
    const clients: Socket[] = [];
    try {
      const driver = createIpvsadmDriver({
        transport: transport((argv) => d.ipvsadm(argv.slice(1))),
        name: 'builtin',
        readKernel: false,
      });
      for (let i = 0; i < 4; i++) clients.push(await open(d.vip.port));
      // The relay exists once the director accepted: wait for all four on the backends.
      await until(() => backends.reduce((n, b) => n + b.accepted(), 0) === 4);
      const list = await driver.listConnections!({ vip: { host: '127.0.0.1', port: d.vip.port } });
      expect(list.map((c) => c.client.port).sort()).toEqual(clients.map((c) => c.localPort).sort());
      expect(new Set(list.map((c) => c.server.host))).toEqual(new Set(['127.0.0.2', '127.0.0.3']));
      expect(list.every((c) => c.state === 'ESTABLISHED')).toBe(true);
      expect(d.ipvsadm(['-e', '-c', '-t', 'x']).exitCode).toBe(2);
    } finally {
      for (const c of clients) c.destroy();
      await d.close();
      for (const b of backends) b.server.close();
    }
  });
});

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

async function listenEcho(host: string) {
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const a = server.address() as { port: number };
  return { server, address: { host, port: a.port }, accepted: () => accepted };
}

/** A runtime API on a unix socket answering fixed commands, recording what it was asked. */
async function fakeRuntimeApi(answers: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'ldk-haproxy-'));
  const socket = join(dir, 'api.sock');
  const commands: string[] = [];
  const server = createServer((s) => {
    let text = '';
    s.on('data', (d) => {
      text += String(d);
      if (!text.includes('\n')) return;
      const command = text.trim();
      commands.push(command);
      s.end(answers[command] ?? 'Unknown command.\n');
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  const close = async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  };
  return { socket, commands, close };
}
