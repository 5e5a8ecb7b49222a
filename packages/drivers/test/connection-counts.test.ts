import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { CommandTransport } from '@lvs-drain-kit/common';
import { startLabDirector } from '@lvs-drain-kit/lab';
import { spawnRsServer } from '@lvs-drain-kit/testkit';
import { describe, expect, it } from 'vitest';
import { haproxyConnectionCounts, parseShowStat } from '../src/drivers/haproxy-counts.js';
import { createIpvsadmDriver } from '../src/drivers/ipvsadm.js';
import { createNftDriver } from '../src/drivers/nft.js';
import { connectionsOfFlows, parseConntrackFlows } from '../src/drivers/nft-connections.js';
import { countFlows } from '../src/drivers/nft-conntrack.js';

/**
 * The connection counts the wait until a drained server is empty reads: ipvsadm's columns (here from
 * the builtin director with real connections through it), HAProxy's `show stat` and conntrack's flows
 * as HAProxy 2.6 and conntrack 1.4.7 print them. The real engines are read in the labs tests.
 */

// HAProxy 2.6 `show stat`, the columns after `addr` cut.
const SHOW_STAT = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr
fe,FRONTEND,,,5,5,9986,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,,,,,,,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,
be,rs1,0,0,3,3,,0,0,0,,0,,0,0,0,0,no check,1,1,0,,,1,,,1,3,1,,0,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.2:45992
be,rs2,1,1,2,2,,0,0,0,,0,,0,0,0,0,no check,1,1,0,,,1,,,1,3,2,,0,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.3:45993
be,BACKEND,0,0,5,5,999,0,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,1,0,,1,3,0,,0,,1,0,,0,,,,,,,,,,,,,,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,
other,rs1,0,0,7,7,,0,0,0,,0,,0,0,0,0,no check,1,1,0,,,1,,,1,3,1,,0,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.9:1
`;

// conntrack -L -p tcp --orig-dst 198.18.0.2 --orig-port-dst 2100 in an nft DNAT director's namespace.
const CONNTRACK = `tcp      6 119 TIME_WAIT src=198.18.0.10 dst=198.18.0.2 sport=41436 dport=2100 src=198.18.0.11 dst=198.18.0.2 sport=2100 dport=41436 [ASSURED] mark=0 use=1
tcp      6 431999 ESTABLISHED src=198.18.0.10 dst=198.18.0.2 sport=41430 dport=2100 src=198.18.0.11 dst=198.18.0.2 sport=2100 dport=41430 [ASSURED] mark=0 use=1
tcp      6 431998 ESTABLISHED src=198.18.0.10 dst=198.18.0.2 sport=41440 dport=2100 src=198.18.0.12 dst=198.18.0.2 sport=2100 dport=41440 [ASSURED] mark=0 use=1
tcp      6 59 CLOSE_WAIT src=198.18.0.10 dst=198.18.0.2 sport=41450 dport=2100 src=198.18.0.12 dst=198.18.0.2 sport=2100 dport=41450 [ASSURED] mark=0 use=1
tcp      6 29 SYN_SENT src=198.18.0.10 dst=198.18.0.2 sport=41460 dport=2100 [UNREPLIED] src=198.18.0.12 dst=198.18.0.2 sport=2100 dport=41460 mark=0 use=1
`;

describe('connection counts', () => {
  it('HAProxy: scur of each server of the backend, by address; other backends and the totals left out', async () => {
    const rows = parseShowStat(SHOW_STAT);
    expect(rows.filter((r) => r.pxname === 'be').map((r) => [r.svname, r.scur, r.qcur])).toEqual([
      ['rs1', 3, 0],
      ['rs2', 2, 1],
      ['BACKEND', 5, 0],
    ]);
    const servers = [
      { name: 'rs1', host: '127.0.0.2', port: 45992, weight: 1 },
      { name: 'rs2', host: '127.0.0.3', port: 45993, weight: 0 },
    ];
    const asked: string[] = [];
    const counts = await haproxyConnectionCounts(
      async (command) => {
        asked.push(command);
        return SHOW_STAT;
      },
      'be',
      servers,
    );
    expect(asked).toEqual(['show stat']);
    expect(counts).toEqual([
      { host: '127.0.0.2', port: 45992, active: 3 },
      { host: '127.0.0.3', port: 45993, active: 2 },
    ]);
    await expect(
      haproxyConnectionCounts(async () => SHOW_STAT, 'be', [{ ...servers[0]!, name: 'rs9' }]),
    ).rejects.toThrow(/no row for be\/rs9/);
    expect(() => parseShowStat('Unknown command\n')).toThrow(/show stat/);
  });

  it('conntrack: flows by reply source; ESTABLISHED active, every other state inactive', async () => {
    const flows = connectionsOfFlows(parseConntrackFlows(CONNTRACK));
    expect(flows.map((f) => `${f.state} ${f.server.host}:${f.server.port}`)).toEqual([
      'TIME_WAIT 198.18.0.11:2100',
      'ESTABLISHED 198.18.0.11:2100',
      'ESTABLISHED 198.18.0.12:2100',
      'CLOSE_WAIT 198.18.0.12:2100',
      'SYN_SENT 198.18.0.12:2100',
    ]);
    expect(countFlows(flows)).toEqual([
      { host: '198.18.0.11', port: 2100, active: 1, inactive: 1 },
      { host: '198.18.0.12', port: 2100, active: 1, inactive: 2 },
    ]);
    expect(() => parseConntrackFlows('tcp 6 garbage\n')).toThrow(/unexpected conntrack line/);

    const calls: string[][] = [];
    const transport: CommandTransport = {
      description: 'fake director',
      async run(argv) {
        calls.push([...argv]);
        return argv[0] === 'conntrack'
          ? {
              stdout: CONNTRACK,
              stderr: 'conntrack v1.4.7 (conntrack-tools): 5 flow entries have been shown.\n',
              exitCode: 0,
            }
          : { stdout: '', stderr: '', exitCode: 1 };
      },
    };
    const driver = createNftDriver({ transport, table: 'lb', chain: 'lb', map: 'backends' });
    expect(await driver.connectionCounts!({ vip: { host: '198.18.0.2', port: 2100 } })).toHaveLength(2);
    expect(calls).toEqual([['conntrack', '-L', '-p', 'tcp', '--orig-dst', '198.18.0.2', '--orig-port-dst', '2100']]);
    const missing: CommandTransport = {
      description: 'bare',
      run: async () => ({ stdout: '', stderr: '', exitCode: 127 }),
    };
    await expect(
      createNftDriver({ transport: missing, table: 'lb', chain: 'lb', map: 'backends' }).connectionCounts!({
        vip: { host: '198.18.0.2', port: 2100 },
      }),
    ).rejects.toThrow(/conntrack not found on the director \(bare\): apt-get install conntrack/);
  });

  it('ipvsadm: ActiveConn and InActConn follow real connections through the builtin director', async () => {
    const servers = await Promise.all([
      spawnRsServer(['--name', 'rs1'], '127.0.0.2'),
      spawnRsServer(['--name', 'rs2'], '127.0.0.3'),
    ]);
    const d = await startLabDirector({
      vip: { host: '127.0.0.1', port: 0 },
      control: { host: '127.0.0.1', port: 0 },
      reals: servers.map((s) => ({ host: s.host, port: s.port })),
    });
    const sockets: Socket[] = [];
    try {
      const transport: CommandTransport = { description: 'builtin', run: async (argv) => d.ipvsadm(argv.slice(1)) };
      const driver = createIpvsadmDriver({ transport, readKernel: false });
      const service = { vip: { host: '127.0.0.1', port: d.vip.port } };
      const total = async () =>
        (await driver.connectionCounts!(service)).reduce(
          (sum, c) => ({ active: sum.active + c.active, inactive: sum.inactive + (c.inactive ?? 0) }),
          { active: 0, inactive: 0 },
        );
      expect(await total()).toEqual({ active: 0, inactive: 0 });
      for (let i = 0; i < 4; i++) {
        const s = connect({ host: '127.0.0.1', port: d.vip.port });
        await once(s, 'connect');
        s.write('hello\n');
        await once(s, 'data');
        sockets.push(s);
      }
      const counts = await driver.connectionCounts!(service);
      expect(counts.map((c) => [c.port, c.active])).toEqual(servers.map((s) => [s.port, 2]));
      sockets.pop()!.end();
      await expect.poll(total, { timeout: 2000 }).toEqual({ active: 3, inactive: 1 });
    } finally {
      for (const s of sockets) s.destroy();
      await d.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
