import { PassThrough } from 'node:stream';
import type { CommandResult, CommandTransport } from '@lvs-drain-kit/common';
import { describe, expect, it } from 'vitest';
import { createIpvsadmDriver } from '../src/drivers/ipvsadm.js';
import { parseIpvsadmList } from '../src/drivers/ipvsadm-list.js';
import { createManualDriver } from '../src/drivers/manual.js';
import { UnsupportedSetupError } from '../src/errors.js';

/**
 * Output of the real ipvsadm v1.31 (Debian 12) on the IPVS lab's Debian 6.1 kernel, whitespace as printed.
 * With --thresholds it has no Forward/Weight columns, and the real servers' column names sit on the
 * "Prot" line: parsing that as the plain list would read every weight as 0.
 */
const LIST = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  198.18.0.100:80 rr persistent 300
  -> 198.18.0.12:80               Route   3      0          0         
TCP  198.18.0.100:2100 wrr
  -> 198.18.0.11:2100             Route   0      0          0         
  -> 198.18.0.12:2100             Route   1      0          0         
`;
const THRESHOLDS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  198.18.0.100:80 rr persistent 300
  -> 198.18.0.12:80               0          0          0          0         
TCP  198.18.0.100:2100 wrr
  -> 198.18.0.11:2100             100        50         0          0         
  -> 198.18.0.12:2100             0          0          0          0         
`;
const SERVICE_TUN_INFO = `Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn
TCP  198.18.0.100:2100 wrr
  -> 198.18.0.11:2100             Route   n/a           0      0          0         
  -> 198.18.0.12:2100             Route   n/a           1      0          0         
`;
const SERVICE_THRESHOLDS = `Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  198.18.0.100:2100 wrr
  -> 198.18.0.11:2100             100        50         0          0         
  -> 198.18.0.12:2100             0          0          0          0         
`;

describe('ipvsadm v1.31 output', () => {
  it('parses the plain list: forwarding, weights, persistence', () => {
    const [web, lines] = parseIpvsadmList(LIST);
    expect(web).toMatchObject({ protocol: 'TCP', address: '198.18.0.100:80', scheduler: 'rr', persistent: 300 });
    expect(web!.servers).toEqual([
      { host: '198.18.0.12', port: 80, forwarding: 'Route', weight: 3, activeConn: 0, inactConn: 0 },
    ]);
    expect(lines!.servers.map((d) => [d.host, d.forwarding, d.weight])).toEqual([
      ['198.18.0.11', 'Route', 0],
      ['198.18.0.12', 'Route', 1],
    ]);
  });

  it('parses the --thresholds list, whose columns are named on the Prot line', () => {
    const [, lines] = parseIpvsadmList(THRESHOLDS);
    expect(lines!.servers[0]).toMatchObject({ host: '198.18.0.11', upperThreshold: 100, lowerThreshold: 50 });
  });

  it('the driver edits with the forwarding method and thresholds it read (ipvsadm -e resets the rest)', async () => {
    const { driver, issued } = recorded({
      'ipvsadm -L -n --tun-info -t 198.18.0.100:2100': SERVICE_TUN_INFO,
      'ipvsadm -L -n --thresholds -t 198.18.0.100:2100': SERVICE_THRESHOLDS,
    });
    const service = { vip: { host: '198.18.0.100', port: 2100 } };
    const rs1 = { host: '198.18.0.11', port: 2100 };
    expect(await driver.getWeight(service, rs1)).toBe(0);
    expect(await driver.getWeight(service, { host: '198.18.0.12', port: 2100 })).toBe(1);
    await driver.setWeight(service, rs1, 1);
    expect(issued.at(-1)).toEqual([
      'ipvsadm',
      '-e',
      '-t',
      '198.18.0.100:2100',
      '-r',
      '198.18.0.11:2100',
      '-g',
      '-w',
      '1',
      '-x',
      '100',
      '-y',
      '50',
    ]);
  });
});

/**
 * `ipvsadm -L -n --tun-info` of ipvsadm v1.31 on the IPVS lab's kernel, after
 * `-a … -r 198.18.0.13:2100 -i --tun-type gue --tun-port 6080 --tun-nocsum -w 1 -x 50 -y 10`, a GRE
 * server with checksums, a plain ipip one, a NAT server on another port and a GUE one with remote
 * checksum offload. `ipvsadm -e … -i -w 0` turned the first into `ipip` with thresholds 0 there.
 */
const TUN_INFO = `Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn
TCP  198.18.0.100:2100 wrr
  -> 198.18.0.11:2100             Route   n/a           1      0          0         
  -> 198.18.0.12:2100             Route   n/a           1      0          0         
  -> 198.18.0.13:2100             Tunnel  gue:6080:-c   1      0          0         
  -> 198.18.0.14:2100             Tunnel  gre:+c        2      0          0         
  -> 198.18.0.15:2100             Tunnel  ipip          3      0          0         
  -> 198.18.0.16:8080             Masq    n/a           4      0          0         
  -> 198.18.0.17:2100             Tunnel  gue:6081:r+c  1      0          0         
`;
const TUN_THRESHOLDS = `Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  198.18.0.100:2100 wrr
  -> 198.18.0.11:2100             0          0          0          0         
  -> 198.18.0.12:2100             0          0          0          0         
  -> 198.18.0.13:2100             50         10         0          0         
  -> 198.18.0.14:2100             0          0          0          0         
  -> 198.18.0.15:2100             0          0          0          0         
  -> 198.18.0.16:8080             0          0          0          0         
  -> 198.18.0.17:2100             0          0          0          0         
`;

function recorded(answers: Record<string, string>, stderr: Record<string, string> = {}) {
  const issued: string[][] = [];
  const transport: CommandTransport = {
    description: 'recorded',
    async run(argv): Promise<CommandResult> {
      issued.push([...argv]);
      const key = argv.join(' ');
      const stdout = answers[key];
      if (stderr[key] !== undefined) return { stdout: '', stderr: stderr[key], exitCode: 255 };
      return { stdout: stdout ?? '', stderr: '', exitCode: stdout !== undefined || argv[1] === '-e' ? 0 : 1 };
    },
  };
  return { driver: createIpvsadmDriver({ transport, readKernel: false }), issued, transportOf: () => transport };
}

describe('ipvsadm v1.31 tunnels and NAT (--tun-info)', () => {
  const service = { vip: { host: '198.18.0.100', port: 2100 } };
  const answers = {
    'ipvsadm -L -n --tun-info -t 198.18.0.100:2100': TUN_INFO,
    'ipvsadm -L -n --thresholds -t 198.18.0.100:2100': TUN_THRESHOLDS,
  };

  it.each([
    ['198.18.0.13:2100', 0, '-i -w 0 -x 50 -y 10 --tun-type gue --tun-port 6080 --tun-nocsum'],
    ['198.18.0.14:2100', 2, '-i -w 2 --tun-type gre --tun-csum'],
    ['198.18.0.15:2100', 0, '-i -w 0 --tun-type ipip'],
    ['198.18.0.16:8080', 0, '-m -w 0'],
    ['198.18.0.17:2100', 5, '-i -w 5 --tun-type gue --tun-port 6081 --tun-remcsum'],
  ])('%s: -e repeats its method, thresholds and tunnel (weight %i)', async (address, weight, options) => {
    const { driver, issued } = recorded(answers);
    const [host, port] = address.split(':');
    const real = { host: host!, port: Number(port) };
    await driver.setWeight(service, real, weight);
    expect(issued.at(-1)!.join(' ')).toBe(`ipvsadm -e -t 198.18.0.100:2100 -r ${address} ${options}`);
    // What a person is told to run is the same argv.
    expect(driver.manualCommand(service, real, weight)).toBe(issued.at(-1)!.join(' '));
    expect(driver.describeChange?.(service, real, weight)).toBe(issued.at(-1)!.join(' '));
  });

  it('inspect reports each tunnel as ipvsadm prints it', async () => {
    const { driver } = recorded(answers);
    const state = await driver.inspect(service);
    expect(state.servers.map((s) => s.tunnel)).toEqual([
      undefined,
      undefined,
      'gue:6080:-c',
      'gre:+c',
      'ipip',
      undefined,
      'gue:6081:r+c',
    ]);
  });

  it('an ipvsadm without --tun-info: plain listing; a tunnel is refused before anything is changed, DR is edited', async () => {
    const { driver, issued } = recorded(
      {
        'ipvsadm -L -n -t 198.18.0.100:2100': TUN_INFO.replace(/ {2}(n\/a|gue:\S+|gre:\S+|ipip)\s+/g, '   ').replace(
          'Forward TunnelInfo    Weight',
          'Forward Weight',
        ),
        'ipvsadm -L -n --thresholds -t 198.18.0.100:2100': TUN_THRESHOLDS,
      },
      { 'ipvsadm -L -n --tun-info -t 198.18.0.100:2100': '--tun-info: unknown option\n' },
    );
    const gue = { host: '198.18.0.13', port: 2100 };
    await expect(driver.getWeight(service, gue)).rejects.toThrow(UnsupportedSetupError);
    await expect(driver.setWeight(service, gue, 0)).rejects.toThrow(/cannot show its tunnel type, port and checksum/);
    expect(issued.filter((a) => a[1] === '-e')).toEqual([]);
    await driver.setWeight(service, { host: '198.18.0.16', port: 8080 }, 0);
    expect(issued.at(-1)!.join(' ')).toBe('ipvsadm -e -t 198.18.0.100:2100 -r 198.18.0.16:8080 -m -w 0');
    // --tun-info is asked once; after "unknown option" the plain listing is used.
    expect(issued.filter((a) => a.includes('--tun-info'))).toHaveLength(1);
  });

  it("a failing listing is a DriverError with ipvsadm's words, not a fallback", async () => {
    const { driver } = recorded({}, { 'ipvsadm -L -n --tun-info -t 198.18.0.100:2100': 'No such service\n' });
    await expect(driver.getWeight(service, { host: '198.18.0.11', port: 2100 })).rejects.toThrow(/No such service/);
  });
});

describe('manual driver', () => {
  it('prints exactly the argv the ipvsadm driver runs, waits for Enter, then reads the weight back', async () => {
    const answers = {
      'ipvsadm -L -n --tun-info -t 198.18.0.100:2100': TUN_INFO,
      'ipvsadm -L -n --thresholds -t 198.18.0.100:2100': TUN_THRESHOLDS,
    };
    const service = { vip: { host: '198.18.0.100', port: 2100 } };
    const gue = { host: '198.18.0.13', port: 2100 };
    const { driver: ipvsadm, issued } = recorded(answers);
    await ipvsadm.setWeight(service, gue, 0);

    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => {
      shown += d.toString();
      if (shown.endsWith('\n\n')) input.write('\n');
    });
    const director = recorded(answers);
    const manual = createManualDriver({ transport: director.transportOf(), input, output });
    expect(await manual.getWeight(service, gue)).toBe(1);
    await manual.setWeight(service, gue, 0);
    const printed = /press Enter:\n\n {4}(.*)\n/.exec(shown)?.[1];
    expect(printed).toBe(issued.at(-1)!.join(' '));
    expect(printed).toBe(
      'ipvsadm -e -t 198.18.0.100:2100 -r 198.18.0.13:2100 -i -w 0 -x 50 -y 10 --tun-type gue --tun-port 6080 --tun-nocsum',
    );
    // It only reads the director: a person makes the change.
    expect(director.issued.filter((a) => a[1] === '-e')).toEqual([]);
    expect(manual.manualCommand(service, gue, 1)).toBe(printed!.replace('-w 0', '-w 1'));
  });
});
