import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReadyBanner, RS_SERVER_BIN } from '@lvs-drain-kit/common';
import type { DriverSpec } from '@lvs-drain-kit/drivers';
import { stateDir } from '../journal.js';
import type { Misbehaviour } from './misbehaviour.js';
import { spawnReady } from './spawn-ready.js';

/** What a lab gives drain-test; the same shape as the real-engine labs of @lvs-drain-kit/lab. */
export interface BuiltinLabInfo {
  engine: 'builtin';
  vip: { host: string; port: number };
  reals: Array<{ host: string; port: number; name: string }>;
  driver: DriverSpec & { kind: 'builtin' };
  pids: number[];
  stateDir: string;
}

export interface BuiltinLab extends BuiltinLabInfo {
  stop(): Promise<void>;
}

export interface BuiltinLabOptions {
  misbehave?: readonly Misbehaviour[];
  /** Detach the processes and record them under the state dir (`lab up`). */
  detached?: boolean;
  /** Loopback addresses of the real servers; the VIP is 127.0.0.1. */
  realHosts?: string[];
  weights?: number[];
}

/** The director script sits next to this file in dist/ (tests run the built one too). */
const DIRECTOR_MAIN = fileURLToPath(new URL('../../dist/lab/director-main.js', import.meta.url));

export function builtinStateFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'lab-builtin.json');
}

/**
 * Two rs-server processes (rs1, rs2) on loopback and the userspace director on 127.0.0.1,
 * every port picked by the kernel. No root needed.
 */
export async function startBuiltinLab(options: BuiltinLabOptions = {}): Promise<BuiltinLab> {
  if (!existsSync(DIRECTOR_MAIN)) throw new Error(`${DIRECTOR_MAIN} is missing: run npm run build`);
  const hosts = options.realHosts ?? ['127.0.0.2', '127.0.0.3'];
  const detached = options.detached ?? false;
  // A lab left running logs under the state dir (`lab up`); an inline one is read through pipes.
  const logDir = detached ? join(stateDir(), 'lab-builtin') : undefined;
  if (logDir) await mkdir(logDir, { recursive: true });
  const started: Array<{ child: import('node:child_process').ChildProcess }> = [];
  const kill = () => {
    for (const p of started) p.child.kill('SIGTERM');
  };
  try {
    // Both real servers start at once; a failed start still lands in `started` for the cleanup.
    const servers = await Promise.all(
      hosts.map(async (host, i) => {
        const name = `rs${i + 1}`;
        const rs = await spawnReady(
          [RS_SERVER_BIN, '0', '--host', host, '--name', name, '--log-format', 'json', '--shutdown-timeout', '1s'],
          (rec) => (typeof rec.msg === 'string' ? parseReadyBanner(rec.msg) : undefined),
          { ...(logDir ? { logFile: join(logDir, `${name}.log`) } : {}) },
        );
        started.push(rs);
        return { host, port: rs.ready, name, pid: rs.child.pid! };
      }),
    );
    const reals: BuiltinLabInfo['reals'] = servers.map(({ host, port, name }) => ({ host, port, name }));
    const director = await spawnReady(
      [
        DIRECTOR_MAIN,
        JSON.stringify({
          vip: { host: '127.0.0.1', port: 0 },
          control: { host: '127.0.0.1', port: 0 },
          reals: reals.map((r, i) => ({ host: r.host, port: r.port, weight: options.weights?.[i] ?? 1 })),
          misbehave: options.misbehave ?? [],
          ...(detached ? {} : { watch: { parent: process.pid, servers: servers.map((x) => x.pid) } }),
        }),
      ],
      (rec) => (rec.ready === true ? (rec as { vip: string; control: string }) : undefined),
      { ...(logDir ? { logFile: join(logDir, 'director.log') } : {}) },
    );
    started.push(director);
    const [vipHost, vipPort] = director.ready.vip.split(':');
    const info: BuiltinLabInfo = {
      engine: 'builtin',
      vip: { host: vipHost!, port: Number(vipPort) },
      reals,
      driver: { kind: 'builtin', control: director.ready.control },
      pids: [...servers.map((x) => x.pid), director.child.pid!],
      stateDir: stateDir(),
    };
    if (detached) {
      await mkdir(stateDir(), { recursive: true });
      await writeFile(builtinStateFile(), `${JSON.stringify(info, null, 2)}\n`);
    }
    return {
      ...info,
      async stop() {
        await Promise.all(
          started.map(
            (p) =>
              new Promise<void>((resolve) => {
                if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
                const t = setTimeout(() => p.child.kill('SIGKILL'), 3000);
                p.child.once('exit', () => {
                  clearTimeout(t);
                  resolve();
                });
                p.child.kill('SIGTERM');
              }),
          ),
        );
      },
    };
  } catch (err) {
    kill();
    throw err;
  }
}

/** The detached builtin lab recorded by `lab up`, if any. */
export async function readBuiltinLab(env: NodeJS.ProcessEnv = process.env): Promise<BuiltinLabInfo | undefined> {
  try {
    return JSON.parse(await readFile(builtinStateFile(env), 'utf8')) as BuiltinLabInfo;
  } catch {
    return undefined;
  }
}

/** Is `pid` still one of ours (a node process running one of the lab's scripts)? */
async function isOurs(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(RS_SERVER_BIN) || cmdline.includes(DIRECTOR_MAIN);
  } catch {
    return false;
  }
}

/**
 * Stops the detached builtin lab by recorded PID (checked against its command line): SIGTERM, then
 * SIGKILL for any still there after `graceMs`. Forgets the lab. Resolves with how many were running.
 */
export async function stopBuiltinLab(env: NodeJS.ProcessEnv = process.env, graceMs = 3000): Promise<number> {
  const info = await readBuiltinLab(env);
  if (!info) return 0;
  const ours = [];
  for (const pid of info.pids) if (await isOurs(pid)) ours.push(pid);
  for (const pid of ours) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let left = ours;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = (await Promise.all(left.map(async (pid) => ((await isOurs(pid)) ? pid : undefined)))).filter(
      (p) => p !== undefined,
    );
  }
  for (const pid of left) process.kill(pid, 'SIGKILL');
  await rm(builtinStateFile(env), { force: true });
  return ours.length;
}

export async function builtinLabAlive(info: BuiltinLabInfo): Promise<boolean[]> {
  return Promise.all(info.pids.map(isOurs));
}
