import { describe, expect, it } from 'vitest';
import { editWeightArgv, formatIpvsadmList, parseIpvsadmList } from '../src/drivers/ipvsadm-list.js';

// Shapes as printed by ipvsadm 1.31 (`ipvsadm -L -n`, with and without --thresholds), trailing blanks included.
const DR = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  172.16.0.113:2100 wrr
  -> 172.16.0.114:2100            Route   1      3          0         
  -> 172.16.0.115:2100            Route   0      2          5         
`;

const MIXED = `IP Virtual Server version 1.2.1
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.1:443 rr persistent 10800
  -> 192.168.0.1:6443             Masq    1      1          0
UDP  10.0.0.10:53 rr
  -> 172.17.0.2:53                Masq    1      0          0
TCP  [2001:db8::10]:80 wlc
  -> [2001:db8::11]:80            Tunnel  2      0          0
`;

// With --thresholds, ipvsadm 1.31 prints no Forward/Weight columns; the columns are named on the Prot line.
const THRESHOLDS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  172.16.0.113:2100 wrr
  -> 172.16.0.114:2100            100        10         0          0         
`;

describe('parseIpvsadmList', () => {
  it('reads a DR service: forwarding, weights, connection counts', () => {
    const [s] = parseIpvsadmList(DR);
    expect(s).toMatchObject({ protocol: 'TCP', address: '172.16.0.113:2100', scheduler: 'wrr', flags: '' });
    expect(s!.servers).toEqual([
      { host: '172.16.0.114', port: 2100, forwarding: 'Route', weight: 1, activeConn: 3, inactConn: 0 },
      { host: '172.16.0.115', port: 2100, forwarding: 'Route', weight: 0, activeConn: 2, inactConn: 5 },
    ]);
  });

  it('reads several services, persistence, UDP and IPv6', () => {
    const services = parseIpvsadmList(MIXED);
    expect(services.map((s) => [s.protocol, s.address, s.scheduler, s.persistent])).toEqual([
      ['TCP', '10.0.0.1:443', 'rr', 10800],
      ['UDP', '10.0.0.10:53', 'rr', undefined],
      ['TCP', '[2001:db8::10]:80', 'wlc', undefined],
    ]);
    expect(services[2]!.servers[0]).toMatchObject({ host: '2001:db8::11', port: 80, forwarding: 'Tunnel', weight: 2 });
  });

  it('takes the columns from the header (--thresholds)', () => {
    const [s] = parseIpvsadmList(THRESHOLDS);
    expect(s!.servers[0]).toMatchObject({
      host: '172.16.0.114',
      port: 2100,
      upperThreshold: 100,
      lowerThreshold: 10,
      activeConn: 0,
    });
  });

  it('an empty table is no service; garbage is an error', () => {
    expect(
      parseIpvsadmList('IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n'),
    ).toEqual([]);
    expect(() => parseIpvsadmList("Can't initialize ipvs: Protocol not available\n")).toThrow(/unexpected line/);
  });

  it('the builtin lab director prints what the parser reads back, in the same layout', () => {
    const services = parseIpvsadmList(DR);
    expect(
      formatIpvsadmList(services)
        .split('\n')
        .map((l) => l.trimEnd()),
    ).toEqual(DR.split('\n').map((l) => l.trimEnd()));
    expect(parseIpvsadmList(formatIpvsadmList(parseIpvsadmList(THRESHOLDS), { thresholds: true }))).toEqual(
      parseIpvsadmList(THRESHOLDS),
    );
  });
});

describe('editWeightArgv', () => {
  it('repeats the forwarding method, since -e resets what it is not given', () => {
    const [s] = parseIpvsadmList(DR);
    expect(editWeightArgv('TCP', s!.address, s!.servers[0], { host: '172.16.0.114', port: 2100 }, 0)).toEqual([
      '-e',
      '-t',
      '172.16.0.113:2100',
      '-r',
      '172.16.0.114:2100',
      '-g',
      '-w',
      '0',
    ]);
  });

  it('keeps thresholds and masquerading; UDP services use -u', () => {
    const [s] = parseIpvsadmList(THRESHOLDS);
    const dest = { ...s!.servers[0]!, forwarding: 'Route', weight: 3 };
    expect(editWeightArgv('TCP', s!.address, dest, dest, 3)).toEqual([
      '-e',
      '-t',
      '172.16.0.113:2100',
      '-r',
      '172.16.0.114:2100',
      '-g',
      '-w',
      '3',
      '-x',
      '100',
      '-y',
      '10',
    ]);
    const udp = parseIpvsadmList(MIXED)[1]!;
    expect(editWeightArgv('UDP', udp.address, udp.servers[0], udp.servers[0]!, 0)).toEqual([
      '-e',
      '-u',
      '10.0.0.10:53',
      '-r',
      '172.17.0.2:53',
      '-m',
      '-w',
      '0',
    ]);
  });
});
