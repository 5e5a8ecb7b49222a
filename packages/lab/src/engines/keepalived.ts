/**
 * keepalived owning an IPVS Direct Routing virtual server: the ipvs engine's VM with Debian's keepalived
 * (and the libraries it loads) in its image. keepalived runs as Debian's systemd unit runs it
 * (`--dont-fork`, pid file /run/keepalived.pid), health-checks both real servers and programs IPVS from
 * a generated keepalived.conf; the lab hands drain-test the keepalived driver.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandTransport } from '@lvs-drain-kit/common';
import { LabError } from '../errors.js';
import { KEEPALIVED_CONF, keepalivedConfig, trackFileName, trackFilePath } from '../keepalived-config.js';
import {
  type KeepalivedService,
  keepalivedPollScript,
  keepalivedProgress,
  keepalivedStartScript,
} from '../keepalived-start.js';
import { describeKeepalived, KEEPALIVED_LOG, keepalivedStatusScript } from '../keepalived-status.js';
import { directorVm, serialDirector, vmDetails, vmServices } from './director-vm.js';
import type { DirectorEngine } from './engine.js';

export const KEEPALIVED_PROGRAM = { package: 'keepalived', path: 'usr/sbin/keepalived' } as const;

// keepalived's checker process and its libraries (~27 MB, unpacked in the VM's RAM) need more than 128 MB.
const vm = directorVm({ programs: [KEEPALIVED_PROGRAM], memoryMb: 256 });

async function inVm(transport: CommandTransport, script: string, input?: string): Promise<string> {
  const r = await transport.run(['sh', '-c', script], input === undefined ? {} : { input });
  if (r.exitCode !== 0) throw new LabError(`in the director VM: ${script}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/**
 * Until IPVS lists every real server of every service with a weight (keepalived adds them once it has
 * read its file and holds them alive); returns keepalived's version from its log.
 */
async function waitForKeepalived(
  transport: CommandTransport,
  services: readonly KeepalivedService[],
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let progress = keepalivedProgress('', services);
  while (Date.now() < deadline) {
    progress = keepalivedProgress(await inVm(transport, keepalivedPollScript()), services);
    if (progress.ready) return progress.version ?? 'keepalived (no version in its log)';
    await sleep(50);
  }
  const log = await transport.run(['tail', '-n', '20', KEEPALIVED_LOG]);
  throw new LabError(
    `keepalived did not put ${progress.waiting.join(', ')} in IPVS with a weight within ${timeoutMs} ms:\n${progress.listing}\nkeepalived log:\n${log.stdout}${log.stderr}`,
  );
}

export const keepalivedEngine: DirectorEngine = {
  ...vm.common,
  description: 'keepalived owning IPVS Direct Routing (health checks, wrr), in a Debian kernel under qemu (root)',

  async start(ctx) {
    const { plan, stateDir } = ctx;
    const booted = await vm.boot(ctx);
    const { transport } = booted;
    const vip = `${plan.vip.host}:${plan.vip.port}`;
    const conf = keepalivedConfig({
      id: plan.id,
      vip: plan.vip,
      reals: plan.reals,
      ...(plan.httpPort !== undefined ? { httpPort: plan.httpPort } : {}),
    });
    const services = vmServices(plan);
    // Health checks against servers that are not listening yet would take them out: start once they are.
    await ctx.reals;
    await inVm(transport, keepalivedStartScript(), conf);
    const version = await waitForKeepalived(transport, services, 15_000);
    ctx.log(`${version} owns ${vip}`);
    return {
      driver: { kind: 'keepalived', director: serialDirector(stateDir) },
      details: {
        ...vmDetails(plan, booted),
        keepalived: version,
        keepalivedConf: KEEPALIVED_CONF,
        trackFiles: plan.reals.map((r) => `${r.name} ${trackFileName(r.name)} ${trackFilePath(r.name)}`).join(', '),
      },
    };
  },

  async describe({ stateDir, plan }) {
    const text = await vm.ask(stateDir, ['sh', '-c', keepalivedStatusScript()]);
    return describeKeepalived(text, plan);
  },
  exampleCommand: ['ipvsadm', '-L', '-n'],
};
