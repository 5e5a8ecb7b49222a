import type { CommandResult, CommandTransport } from '@lvs-drain-kit/common';
import { startLabDirector } from '@lvs-drain-kit/lab';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createIpvsadmDriver } from '../src/drivers/ipvsadm.js';
import { parseIpvsadmList } from '../src/drivers/ipvsadm-list.js';
import { DriverError, UnsupportedSetupError } from '../src/errors.js';

/** A transport that records argv and answers ipvsadm from a lab director, like a director host would. */
async function director() {
  const d = await startLabDirector({
    vip: { host: '127.0.0.1', port: 0 },
    control: { host: '127.0.0.1', port: 0 },
    reals: [
      { host: '172.16.0.114', port: 2100 },
      { host: '172.16.0.115', port: 2100 },
    ],
  });
  const calls: string[][] = [];
  const files: Record<string, string> = {
    '/proc/sys/net/ipv4/vs/conn_reuse_mode': '1',
    '/proc/sys/net/ipv4/vs/expire_nodest_conn': '0',
    '/proc/sys/net/ipv4/vs/expire_quiescent_template': '0',
  };
  const transport: CommandTransport = {
    description: 'ssh root@lb1',
    async run(argv): Promise<CommandResult> {
      calls.push([...argv]);
      if (argv[0] === 'ipvsadm') return d.ipvsadm(argv.slice(1));
      if (argv[0] === 'uname') return { stdout: '6.1.0-28-cloud-amd64\n', stderr: '', exitCode: 0 };
      if (argv[0] === 'grep') {
        return {
          stdout: argv
            .slice(3)
            .map((p) => `${p}:${files[p]}\n`)
            .join(''),
          stderr: '',
          exitCode: 0,
        };
      }
      return { stdout: '', stderr: 'not found', exitCode: 127 };
    },
  };
  // Closed when the test ends, passed or failed.
  onTestFinished(() => d.close());
  const vip = { host: d.vip.address, port: d.vip.port };
  const real = { host: '172.16.0.114', port: 2100 };
  /** Sets the first real server's forwarding method (weight 2) behind the driver's back, as an operator would. */
  const forwardBy = (flag: string) =>
    d.ipvsadm(['-e', '-t', `127.0.0.1:${vip.port}`, '-r', '172.16.0.114:2100', flag, '-w', '2']);
  return { d, calls, transport, vip, real, forwardBy, driver: createIpvsadmDriver({ transport }) };
}

describe('ipvsadm driver', () => {
  it('reads the service, the kernel and the sysctls, and warns about conn_reuse_mode=1 on DR', async () => {
    const { driver, vip } = await director();
    const state = await driver.inspect({ vip });
    expect(state.scheduler).toBe('wrr');
    expect(state.servers.map((s) => [s.host, s.weight, s.forwarding])).toEqual([
      ['172.16.0.114', 1, 'Route'],
      ['172.16.0.115', 1, 'Route'],
    ]);
    expect(state.kernel).toBe('6.1.0-28-cloud-amd64');
    expect(state.sysctls).toEqual({
      'net.ipv4.vs.conn_reuse_mode': '1',
      'net.ipv4.vs.expire_nodest_conn': '0',
      'net.ipv4.vs.expire_quiescent_template': '0',
    });
    expect(state.warnings?.[0]).toMatch(/conn_reuse_mode=1 on a DR/);
  });

  it('edits with an argument array that repeats the forwarding method; -e alone would reset it', async () => {
    const { calls, driver, forwardBy, real, vip } = await director();
    forwardBy('-m');
    await driver.setWeight({ vip }, real, 0);
    expect(calls.at(-1)).toEqual([
      'ipvsadm',
      '-e',
      '-t',
      `127.0.0.1:${vip.port}`,
      '-r',
      '172.16.0.114:2100',
      '-m',
      '-w',
      '0',
    ]);
    expect(await driver.getWeight({ vip }, real)).toBe(0);
    expect((await driver.inspect({ vip })).servers[0]?.forwarding).toBe('Masq');
    expect(driver.manualCommand({ vip }, real, 2)).toBe(
      `ssh root@lb1 'ipvsadm -e -t 127.0.0.1:${vip.port} -r 172.16.0.114:2100 -m -w 2'`,
    );
  });

  it('refuses a tunnel whose settings this ipvsadm cannot list, before any edit', async () => {
    const { d, calls, driver, forwardBy, real, vip } = await director();
    forwardBy('-i');
    await expect(driver.getWeight({ vip }, real)).rejects.toThrow(UnsupportedSetupError);
    await expect(driver.setWeight({ vip }, real, 0)).rejects.toThrow(/-e would reset them to plain ipip/);
    expect(calls.filter((c) => c[1] === '-e')).toEqual([]);
    expect(parseIpvsadmList(d.ipvsadm(['-L', '-n']).stdout)[0]?.servers[0]).toMatchObject({
      forwarding: 'Tunnel',
      weight: 2,
    });
  });

  it('a missing service or real server is a DriverError', async () => {
    const { driver, vip } = await director();
    await expect(driver.inspect({ vip: { host: '127.0.0.1', port: 1 } })).rejects.toThrow(DriverError);
    await expect(driver.setWeight({ vip }, { host: '10.9.9.9', port: 1 }, 0)).rejects.toThrow(
      /is not in TCP 127\.0\.0\.1:/,
    );
  });
});
