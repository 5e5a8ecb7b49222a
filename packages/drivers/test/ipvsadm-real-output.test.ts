import type { CommandResult, CommandTransport } from '@lvs-drain-kit/common';
import { describe, expect, it } from 'vitest';
import { createIpvsadmDriver } from '../src/drivers/ipvsadm.js';
import { parseIpvsadmList } from '../src/drivers/ipvsadm-list.js';

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
const SERVICE = `Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  198.18.0.100:2100 wrr
  -> 198.18.0.11:2100             Route   0      0          0         
  -> 198.18.0.12:2100             Route   1      0          0         
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
    const issued: string[][] = [];
    const answers: Record<string, string> = {
      'ipvsadm -L -n -t 198.18.0.100:2100': SERVICE,
      'ipvsadm -L -n --thresholds -t 198.18.0.100:2100': SERVICE_THRESHOLDS,
    };
    const transport: CommandTransport = {
      description: 'recorded',
      async run(argv): Promise<CommandResult> {
        issued.push([...argv]);
        const stdout = answers[argv.join(' ')];
        return { stdout: stdout ?? '', stderr: '', exitCode: stdout !== undefined || argv[1] === '-e' ? 0 : 1 };
      },
    };
    const driver = createIpvsadmDriver({ transport, readKernel: false });
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
