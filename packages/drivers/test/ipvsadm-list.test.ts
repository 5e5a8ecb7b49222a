import { describe, expect, it } from 'vitest';
import {
  editWeightArgv,
  findDest,
  findService,
  formatIpvsadmList,
  parseIpvsadmList,
  parseTunnelInfo,
  serviceArgs,
  serviceName,
  tunnelArgs,
} from '../src/drivers/ipvsadm-list.js';
import { UnsupportedSetupError } from '../src/errors.js';

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

// Firewall-mark services as ipvsadm 1.31 lists them (the IPVS lab's kernel): IPv6 marks say so.
const FWM = `Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
FWM  1 wrr persistent 60
  -> 198.18.0.11:0                Route   1      0          0         
  -> 198.18.0.12:0                Route   2      0          0         
FWM  2 IPv6 rr
  -> [2001:db8::12]:2100          Masq    1      0          0         
`;

const FLAGS = `Prot LocalAddress:Port Scheduler Flags
TCP  198.18.0.100:2302 sh (sh-fallback,sh-port)
UDP  198.18.0.100:2301 wrr ops
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
  // -e resets what it is not given: the forwarding method, and thresholds where set, are repeated.
  it.each([
    ['repeats the forwarding method (DR: -g)', DR, 0, {}, 0, '-e -t 172.16.0.113:2100 -r 172.16.0.114:2100 -g -w 0'],
    [
      'keeps thresholds',
      THRESHOLDS,
      0,
      { forwarding: 'Route', weight: 3 },
      3,
      '-e -t 172.16.0.113:2100 -r 172.16.0.114:2100 -g -w 3 -x 100 -y 10',
    ],
    ['keeps masquerading; UDP services use -u', MIXED, 1, {}, 0, '-e -u 10.0.0.10:53 -r 172.17.0.2:53 -m -w 0'],
  ] as const)('%s', (_what, list, index, dest, weight, argv) => {
    const s = parseIpvsadmList(list)[index]!;
    expect(editWeightArgv(s, { ...s.servers[0]!, ...dest }, weight)).toEqual(argv.split(' '));
  });

  it('refuses a forwarding method it cannot repeat, and a tunnel whose settings it could not read', () => {
    const [s] = parseIpvsadmList(DR);
    const local = { ...s!.servers[0]!, forwarding: 'Local' };
    expect(() => editWeightArgv(s!, local, 0)).toThrow(UnsupportedSetupError);
    expect(() => editWeightArgv(s!, local, 0)).toThrow(/forwards by "Local".*nothing was changed/);
    expect(() => editWeightArgv(s!, { ...s!.servers[0]!, forwarding: 'FullNat' }, 0)).toThrow(/FullNat/);
    // A listing without --tun-info (ipvsadm before 1.31) cannot say which tunnel: never fall back to ipip.
    const ipv6 = parseIpvsadmList(MIXED)[2]!;
    expect(() => editWeightArgv(ipv6, ipv6.servers[0]!, 0)).toThrow(/cannot show its tunnel.*upgrade ipvsadm/);
    expect(() => editWeightArgv(ipv6, { ...ipv6.servers[0]!, tunnelInfo: 'vxlan:4789' }, 0)).toThrow(
      /tunnel settings "vxlan:4789"/,
    );
  });
});

describe('tunnel settings (--tun-info)', () => {
  it.each([
    ['ipip', { type: 'ipip' }, ['--tun-type', 'ipip']],
    [
      'gue:6080:-c',
      { type: 'gue', port: 6080, checksum: 'nocsum' },
      ['--tun-type', 'gue', '--tun-port', '6080', '--tun-nocsum'],
    ],
    [
      'gue:6081:r+c',
      { type: 'gue', port: 6081, checksum: 'remcsum' },
      ['--tun-type', 'gue', '--tun-port', '6081', '--tun-remcsum'],
    ],
    ['gre:+c', { type: 'gre', checksum: 'csum' }, ['--tun-type', 'gre', '--tun-csum']],
    ['gre:-c', { type: 'gre', checksum: 'nocsum' }, ['--tun-type', 'gre', '--tun-nocsum']],
  ] as const)('%s', (text, tunnel, args) => {
    expect(parseTunnelInfo(text)).toEqual(tunnel);
    expect(tunnelArgs(tunnel)).toEqual(args);
  });

  it.each(['n/a', 'gue:6080', 'gue:0:-c', 'gue:70000:-c', 'gre:', 'gre:x', 'gre:r+c', 'vxlan:4789', ''])(
    'refuses %j',
    (text) => {
      expect(parseTunnelInfo(text)).toBeUndefined();
    },
  );
});

describe('finding a service and a real server however they were written', () => {
  const services = parseIpvsadmList(MIXED);

  it("IPv6 as a person writes it matches ipvsadm's spelling; the protocol must match too", () => {
    const key = { protocol: 'TCP', vip: { host: '2001:DB8:0::10', port: 80 } } as const;
    const s = findService(services, key);
    expect(s?.address).toBe('[2001:db8::10]:80');
    expect(findDest(s!, { host: '2001:db8:0:0::11', port: 80 })?.weight).toBe(2);
    expect(findService(services, { protocol: 'UDP', vip: { host: '10.0.0.1', port: 443 } })).toBeUndefined();
    expect(serviceArgs(key)).toEqual(['-t', '[2001:db8::10]:80']);
    expect(serviceName(key)).toBe('TCP [2001:db8::10]:80');
  });

  it('firewall-mark services: -f MARK (-6 for IPv6), real servers listed with port 0 take any port', () => {
    const fwm = parseIpvsadmList(FWM);
    expect(fwm.map((s) => [s.protocol, s.address, s.ipv6 ?? false, s.scheduler, s.persistent])).toEqual([
      ['FWM', '1', false, 'wrr', 60],
      ['FWM', '2', true, 'rr', undefined],
    ]);
    const one = findService(fwm, { protocol: 'FWM', fwmark: 1, ipv6: false })!;
    expect(findDest(one, { host: '198.18.0.11', port: 2100 })).toMatchObject({ port: 0, weight: 1 });
    expect(editWeightArgv(one, findDest(one, { host: '198.18.0.12', port: 2100 })!, 0)).toEqual([
      '-e',
      '-f',
      '1',
      '-r',
      '198.18.0.12:0',
      '-g',
      '-w',
      '0',
    ]);
    const two = findService(fwm, { protocol: 'FWM', fwmark: 2, ipv6: true })!;
    expect(findService(fwm, { protocol: 'FWM', fwmark: 2, ipv6: false })).toBeUndefined();
    expect(editWeightArgv(two, two.servers[0]!, 3).slice(0, 6)).toEqual([
      '-e',
      '-f',
      '2',
      '-6',
      '-r',
      '[2001:db8::12]:2100',
    ]);
  });

  it('reads scheduler flags after the scheduler', () => {
    const [sh, ops] = parseIpvsadmList(FLAGS);
    expect([sh!.scheduler, sh!.flags]).toEqual(['sh', '(sh-fallback,sh-port)']);
    expect([ops!.protocol, ops!.flags]).toEqual(['UDP', 'ops']);
  });
});
