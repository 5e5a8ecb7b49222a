/**
 * The director VM that the ipvs and keepalived engines share: a stock Debian kernel under qemu (software
 * emulation) with IPVS, on the lab's bridge through a tap, reached over its second serial port. Each
 * engine says which programs its image carries and what it runs once the VM is up.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CommandTransport, recordProcess } from '@lvs-drain-kit/common';
import { createSerialTransport } from '@lvs-drain-kit/drivers';
import { buildDirectorImage, type DirectorImage, type DirectorProgram } from '../director-image.js';
import { LabError } from '../errors.js';
import { READY_BANNER } from '../init-script.js';
import type { LabPlan } from '../plan.js';
import { qemuArgs } from '../qemu-args.js';
import { inNetns, run } from '../run-command.js';
import type { DirectorEngine, DirectorExec, EngineContext } from './engine.js';

const files = { console: 'console.log', ctl: 'ctl.sock', pid: 'qemu.pid' };

export const ctlSocketPath = (stateDir: string) => join(stateDir, files.ctl);

/** What `LabInfo.driver.director` says for the VM: its serial command channel. */
export const serialDirector = (stateDir: string) => `serial:${ctlSocketPath(stateDir)}`;

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

export interface DirectorVmOptions {
  /** Programs beyond ipvsadm in the image (keepalived). */
  programs?: readonly DirectorProgram[];
  /** Guest memory; default qemuArgs' 128 MB. */
  memoryMb?: number;
}

export interface BootedVm {
  transport: CommandTransport;
  kernelRelease: string;
  pid: number;
}

/** The services a VM director balances: the line service, and the HTTP service of the same real servers on its own port. */
export function vmServices(plan: LabPlan) {
  return [plan.vip.port, ...(plan.httpPort !== undefined ? [plan.httpPort] : [])].map((port) => ({
    vip: { host: plan.vip.host, port },
    reals: plan.reals.map((r) => ({ host: r.host, port: port === plan.vip.port ? r.port : port })),
  }));
}

/** What `lab status` shows of every VM director. */
export function vmDetails(plan: LabPlan, booted: Pick<BootedVm, 'kernelRelease' | 'pid'>) {
  return {
    directorHost: plan.directorHost,
    vmKernel: booted.kernelRelease,
    vmPid: String(booted.pid),
    forwarding: 'direct routing',
  };
}

/** The parts of a DirectorEngine every VM engine has in common, and `boot` for its `start`. */
export function directorVm(options: DirectorVmOptions = {}) {
  const images = new WeakMap<EngineContext, DirectorImage>();
  const common = {
    needsRoot: true,
    network: 'namespaces',
    options: [],
    tools: [
      { name: 'qemu-system-x86_64', hint: 'apt-get install --no-install-recommends qemu-system-x86' },
      { name: 'apt-get', hint: 'the director VM is built from Debian packages fetched with apt-get download' },
      { name: 'dpkg-deb', hint: 'apt-get install dpkg' },
    ],
    directRouting: true,
    needsTap: true,

    async prepare(ctx: EngineContext) {
      const image = await buildDirectorImage({
        cacheDir: ctx.cacheDir,
        log: ctx.log,
        ...(options.programs ? { programs: options.programs } : {}),
      });
      images.set(ctx, image);
      return {
        kernel: image.kernelRelease,
        packages: image.packages.map((p) => `${p.name}=${p.version}`).join(' '),
      };
    },

    pidFiles: (stateDir: string) => [
      {
        file: join(stateDir, files.pid),
        role: 'director-vm',
        cmdlineMarkers: ['qemu-system-x86_64', ctlSocketPath(stateDir)],
      },
    ],

    // Over the VM's serial command channel: output comes back when the command ends (no terminal).
    directorExec: ({ stateDir }: { stateDir: string }): DirectorExec => {
      const vm = createSerialTransport(ctlSocketPath(stateDir));
      return { run: (argv) => vm.run(argv) };
    },
  } satisfies Partial<DirectorEngine>;

  /** Starts the VM in the bridge namespace, records it, and waits for its ready banner. */
  async function boot(ctx: EngineContext): Promise<BootedVm> {
    const image = images.get(ctx);
    if (!image) throw new LabError('director VM started before prepare');
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
      ...(options.memoryMb ? { memoryMb: options.memoryMb } : {}),
    });
    // -daemonize returns once the VM runs; qemu lives in the bridge namespace, next to its tap.
    await run(inNetns(segment.netns, argv), { timeoutMs: 30_000 });
    const pid = Number((await readFile(path(files.pid), 'utf8')).trim());
    await ctx.recordProcess({
      role: 'director-vm',
      ...(await recordProcess(pid, ['qemu-system-x86_64', path(files.ctl)])),
    });
    const kernelRelease = await waitForBanner(path(files.console), 60_000);
    ctx.log(`director VM up (kernel ${kernelRelease}, pid ${pid})`);
    return { transport: createSerialTransport(path(files.ctl)), kernelRelease, pid };
  }

  /** Runs `argv` in the VM of a lab that is up, for `lab status`; a dead VM is said in words. */
  async function ask(stateDir: string, argv: readonly string[]): Promise<string> {
    const sock = ctlSocketPath(stateDir);
    if (!existsSync(sock)) return 'director VM: not running';
    const result = await createSerialTransport(sock, { connectTimeoutMs: 2000, timeoutMs: 5000 })
      .run(argv)
      .catch((err: Error) => ({ stdout: `director VM unreachable: ${err.message}`, stderr: '', exitCode: -1 }));
    return `${result.stdout}${result.stderr}`.trimEnd();
  }

  return { common, boot, ask };
}
