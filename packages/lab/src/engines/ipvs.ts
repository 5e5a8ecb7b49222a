/** IPVS in Direct Routing mode, in a stock Debian kernel booted under qemu (software emulation). */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordProcess } from '@lvs-drain-kit/common';
import { createSerialTransport } from '@lvs-drain-kit/drivers';
import { buildDirectorImage, type DirectorImage } from '../director-image.js';
import { LabError } from '../errors.js';
import { READY_BANNER } from '../init-script.js';
import { qemuArgs } from '../qemu-args.js';
import { inNetns, run } from '../run-command.js';
import type { DirectorEngine, EngineContext } from './engine.js';

const files = { console: 'console.log', ctl: 'ctl.sock', pid: 'qemu.pid' };
const images = new WeakMap<EngineContext, DirectorImage>();

export const ctlSocketPath = (stateDir: string) => join(stateDir, files.ctl);

async function waitForBanner(consoleLog: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = existsSync(consoleLog) ? await readFile(consoleLog, 'utf8') : '';
    const line = text.split('\n').find((l) => l.startsWith(READY_BANNER));
    if (line) return line.slice(READY_BANNER.length).trim();
    await sleep(50);
  }
  const tail = existsSync(consoleLog) ? (await readFile(consoleLog, 'utf8')).slice(-1500) : '(no console output)';
  throw new LabError(`the director VM did not become ready within ${timeoutMs} ms; console:\n${tail}`);
}

export const ipvsEngine: DirectorEngine = {
  description: 'IPVS in Direct Routing mode, in a Debian kernel under qemu (root)',
  needsRoot: true,
  network: 'namespaces',
  options: ['persistent', 'schedulerFlags'],
  tools: [
    { name: 'qemu-system-x86_64', hint: 'apt-get install --no-install-recommends qemu-system-x86' },
    { name: 'apt-get', hint: 'the ipvs lab fetches a Debian kernel with apt-get download' },
    { name: 'dpkg-deb', hint: 'apt-get install dpkg' },
  ],
  directRouting: true,
  needsTap: true,

  async prepare(ctx) {
    const image = await buildDirectorImage({ cacheDir: ctx.cacheDir, log: ctx.log });
    images.set(ctx, image);
    return {
      kernel: image.kernelRelease,
      packages: image.packages.map((p) => `${p.name}=${p.version}`).join(' '),
    };
  },

  async start(ctx) {
    const image = images.get(ctx);
    if (!image) throw new LabError('ipvs engine started before prepare');
    const { plan, stateDir } = ctx;
    const segment = plan.segment!;
    const path = (f: string) => join(stateDir, f);
    for (const f of Object.values(files)) await ctx.recordFile(f);
    const argv = qemuArgs({
      kernel: image.kernel,
      initrd: image.initrd,
      consoleLog: path(files.console),
      ctlSock: path(files.ctl),
      pidFile: path(files.pid),
      tap: segment.tap,
      mac: '52:54:00:12:00:02',
      dip: `${plan.directorHost}/${segment.prefixLength}`,
      vip: plan.vip.host,
      accel: 'tcg',
    });
    // -daemonize returns once the VM runs; qemu lives in the bridge namespace, next to its tap.
    await run(inNetns(segment.netns, argv), { timeoutMs: 30_000 });
    const pid = Number((await readFile(path(files.pid), 'utf8')).trim());
    await ctx.recordProcess({
      role: 'director-vm',
      ...(await recordProcess(pid, ['qemu-system-x86_64', path(files.ctl)])),
    });
    const release = await waitForBanner(path(files.console), 60_000);
    ctx.log(`director VM up (kernel ${release}, pid ${pid})`);

    const vip = `${plan.vip.host}:${plan.vip.port}`;
    const transport = createSerialTransport(path(files.ctl));
    const { persistent, schedulerFlags } = ctx.options;
    const service = [
      `-A -t ${vip} -s ${plan.scheduler}`,
      ...(schedulerFlags?.length ? [`-b ${schedulerFlags.join(',')}`] : []),
      ...(persistent !== undefined ? [`-p ${persistent}`] : []),
    ].join(' ');
    const script = [
      `ipvsadm ${service}`,
      ...plan.reals.map((r) => `ipvsadm -a -t ${vip} -r ${r.host}:${r.port} -g -w 1`),
    ].join(' && ');
    const result = await transport.run(['sh', '-c', script]);
    if (result.exitCode !== 0) throw new LabError(`ipvsadm setup failed in the director VM: ${result.stdout.trim()}`);
    return {
      driver: { kind: 'ipvsadm', director: `serial:${path(files.ctl)}` },
      details: { directorHost: plan.directorHost, vmKernel: release, vmPid: String(pid), forwarding: 'direct routing' },
    };
  },

  pidFiles: (stateDir) => [
    {
      file: join(stateDir, files.pid),
      role: 'director-vm',
      cmdlineMarkers: ['qemu-system-x86_64', ctlSocketPath(stateDir)],
    },
  ],

  async describe({ stateDir }) {
    const sock = ctlSocketPath(stateDir);
    if (!existsSync(sock)) return 'director VM: not running';
    const result = await createSerialTransport(sock, { connectTimeoutMs: 2000, timeoutMs: 5000 })
      .run(['ipvsadm', '-Ln'])
      .catch((err: Error) => ({ stdout: `director VM unreachable: ${err.message}`, exitCode: -1 }));
    return result.stdout.trimEnd();
  },

  exampleCommand: ['ipvsadm', '-L', '-n'],
  // Over the VM's serial command channel: output comes back when the command ends (no terminal).
  directorExec: ({ stateDir }) => {
    const vm = createSerialTransport(ctlSocketPath(stateDir));
    return { run: (argv) => vm.run(argv) };
  },
};
