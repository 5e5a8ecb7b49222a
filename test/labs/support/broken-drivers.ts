/**
 * Negative controls on the real engines: drivers that reach the real director through its real
 * transport but issue the wrong commands, as a careless maintenance script would.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { createDirectorTransport, type DrainDriver, haproxyCommand } from '@lvs-drain-kit/drivers';
import type { LabInfo } from '@lvs-drain-kit/lab';
import { execa } from 'execa';

export type Breakage =
  /** `ipvsadm -d` instead of weight 0 (what happens then depends on net.ipv4.vs.expire_nodest_conn). */
  | 'ipvs-delete'
  /** nft: the map is rewritten, and established flows to the server are rejected with a reset. */
  | 'nft-kill-established'
  /** HAProxy: weight 0 plus `shutdown sessions server`, which closes every session on it. */
  | 'haproxy-shutdown-sessions'
  /** The restore is acknowledged (and read back) but never applied. */
  | 'restore-noop'
  /**
   * The restore exits 0 but sets the weight of another real server; the weight cannot be read back (a
   * command driver without --get-cmd). The false pass once seen on real IPVS.
   */
  | 'restore-edits-other'
  /** The drain is acknowledged (and read back as 0) but never applied: new connections are still sent. */
  | 'drain-noop';

const KILL_TABLE = 'ldk_break';

async function nftInDirector(info: LabInfo, script: string): Promise<void> {
  if (info.driver.kind !== 'nft') throw new Error('not an nft lab');
  await execa('ip', ['netns', 'exec', info.driver.netns, 'nft', '-f', '-'], { input: script });
}

export async function breakDriver(driver: DrainDriver, breakage: Breakage, info: LabInfo): Promise<DrainDriver> {
  switch (breakage) {
    case 'ipvs-delete': {
      if (info.driver.kind !== 'ipvsadm') throw new Error('not an ipvs lab');
      const transport = await createDirectorTransport(info.driver.director);
      const ipvsadm = async (args: string[]) => {
        const r = await transport.run(['ipvsadm', ...args]);
        if (r.exitCode !== 0) throw new Error(`ipvsadm ${args.join(' ')}: ${r.stderr}`);
      };
      return {
        ...driver,
        name: 'ipvsadm-delete',
        // A deleted server carries no traffic: it reads as weight 0.
        getWeight: async (s, real) => (await driver.getWeight(s, real)) ?? 0,
        async setWeight(s, real, weight) {
          if (weight === 0) await ipvsadm(['-d', '-t', formatHostPort(s.vip), '-r', formatHostPort(real)]);
          else
            await ipvsadm(['-a', '-t', formatHostPort(s.vip), '-r', formatHostPort(real), '-g', '-w', String(weight)]);
        },
      };
    }
    case 'nft-kill-established':
      return {
        ...driver,
        name: 'nft-kill-established',
        async setWeight(s, real, weight) {
          if (weight === 0) {
            await driver.setWeight(s, real, 0);
            await nftInDirector(
              info,
              `table ip ${KILL_TABLE} {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip daddr ${real.host} tcp dport ${real.port} reject with tcp reset
  }
}
`,
            );
          } else {
            await nftInDirector(info, `delete table ip ${KILL_TABLE}\n`);
            await driver.setWeight(s, real, weight);
          }
        },
      };
    case 'haproxy-shutdown-sessions': {
      if (info.driver.kind !== 'haproxy') throw new Error('not a haproxy lab');
      const { socket, backend } = info.driver;
      // The lab names each HAProxy server after its real server.
      const nameOf = (real: { host: string; port: number }) =>
        info.reals.find((r) => r.host === real.host && r.port === real.port)?.name;
      return {
        ...driver,
        name: 'haproxy-shutdown-sessions',
        async setWeight(s, real, weight) {
          await driver.setWeight(s, real, weight);
          if (weight === 0) await haproxyCommand(socket, `shutdown sessions server ${backend}/${nameOf(real)}`);
        },
      };
    }
    case 'drain-noop':
      return acknowledgesOnly(driver, 'drain');
    case 'restore-edits-other': {
      const other = (real: { host: string; port: number }) =>
        info.reals.find((r) => r.host !== real.host || r.port !== real.port)!;
      return {
        ...driver,
        name: `${driver.name}-restore-edits-other`,
        async getWeight() {
          return undefined;
        },
        async setWeight(s, real, weight) {
          await driver.setWeight(s, weight === 0 ? real : other(real), weight);
        },
      };
    }
    case 'restore-noop':
      return acknowledgesOnly(driver, 'restore');
  }
}

/** A driver that acknowledges one kind of change (and reads it back as made) but never makes it. */
function acknowledgesOnly(driver: DrainDriver, ignored: 'drain' | 'restore'): DrainDriver {
  const claimed = new Map<string, number>();
  return {
    ...driver,
    name: `${driver.name}-${ignored}-noop`,
    async getWeight(s, real) {
      return claimed.get(formatHostPort(real)) ?? driver.getWeight(s, real);
    },
    async setWeight(s, real, weight) {
      if ((weight === 0) === (ignored === 'drain')) {
        claimed.set(formatHostPort(real), weight);
        return;
      }
      claimed.delete(formatHostPort(real));
      return driver.setWeight(s, real, weight);
    },
  };
}
