import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DirectorEngine, EngineContext } from './engines/engine.js';
import { haproxyEngine } from './engines/haproxy.js';
import { ipvsEngine } from './engines/ipvs.js';
import { nftEngine } from './engines/nft.js';
import { LabError, LabNeedsRootError, LabToolMissingError } from './errors.js';
import type { LabInfo } from './lab-info.js';
import { defaultCacheDir, defaultStateDir } from './paths.js';
import { type LabEngine, NETNS_PREFIX, planLab, planNamespaces } from './plan.js';
import { isRecordedAlive, memoryOf, stopRecorded } from './processes.js';
import { realServerLog, startRealServer, waitRealServerReady } from './real-servers.js';
import { type LabState, type RecordedProcess, readState, STATE_FILE, writeState } from './state.js';
import { addBridge, addMember, addTap, deleteNamespace, listNamespaces, makeDirectRoutingReal } from './topology.js';

export interface LabUpOptions {
  engine: LabEngine;
  /** Where the lab records what it made; one lab per state dir. Default /run/lvs-drain-kit/lab-ENGINE. */
  stateDir?: string;
  /** Downloads and built images. Default $XDG_CACHE_HOME/lvs-drain-kit or ~/.cache/lvs-drain-kit. */
  cacheDir?: string;
  /** Service port (the VIP's and every real server's). Default 2100, the classic line server's. */
  port?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

const ENGINES: Record<LabEngine, DirectorEngine> = { ipvs: ipvsEngine, nft: nftEngine, haproxy: haproxyEngine };

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(delimiter)
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => dir && existsSync(join(dir, tool)));
}

/** Throws the typed error a CLI maps to "environment" when the lab cannot run here. */
export function assertLabCanRun(engine: LabEngine): void {
  if (!isRoot()) throw new LabNeedsRootError(engine);
  for (const tool of [
    { name: 'ip', hint: 'apt-get install iproute2' },
    { name: 'sysctl', hint: 'apt-get install procps' },
    ...ENGINES[engine].tools,
  ]) {
    if (!onPath(tool.name)) throw new LabToolMissingError(tool.name, tool.hint);
  }
}

/**
 * Builds a lab: client, bridge and two real servers (the real `rs-server`) in namespaces, and the
 * engine's director. Replaces whatever lab the state dir still records (e.g. after a crash).
 * On any failure everything made so far is removed before the error is thrown.
 */
export async function labUp(options: LabUpOptions): Promise<LabInfo> {
  const { engine } = options;
  assertLabCanRun(engine);
  const stateDir = options.stateDir ?? defaultStateDir(engine);
  const log = options.log ?? (() => {});
  if (await readState(stateDir)) {
    log(`removing the previous lab recorded in ${stateDir}`);
    await labDown({ stateDir });
  }
  const plan = planLab(engine, randomBytes(2).toString('hex'), options.port ?? 2100);
  const director = ENGINES[engine];
  const state: LabState = {
    version: 1,
    id: plan.id,
    engine,
    createdAt: new Date().toISOString(),
    namespaces: planNamespaces(plan),
    processes: [],
    files: [],
  };
  // Writes go one after another: the director and the real servers start side by side.
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    saving = saving.then(() => writeState(stateDir, state));
    return saving;
  };
  // Recorded before anything exists: a crash from here on leaves a state `lab down` can clean.
  await save();
  const ctx: EngineContext = {
    plan,
    stateDir,
    cacheDir: options.cacheDir ?? defaultCacheDir(),
    log,
    recordProcess: async (p) => {
      state.processes.push(p);
      await save();
    },
    recordFile: async (f) => {
      if (!state.files.includes(f)) state.files.push(f);
      await save();
    },
  };
  try {
    const prepared = (await director.prepare?.(ctx)) ?? {};
    log(`lab ${plan.id}: namespaces`);
    await addBridge(plan);
    if (director.needsTap) await addTap(plan);
    await addMember(plan, plan.clientNetns, 'client', plan.clientHost);
    if (plan.directorNetns) await addMember(plan, plan.directorNetns, 'dir', plan.directorHost);
    for (const real of plan.reals) {
      await addMember(plan, real.netns, real.name, real.host);
      if (director.directRouting) await makeDirectRoutingReal(real.netns, plan.vip.host);
    }
    const startReals = async () => {
      for (const real of plan.reals) {
        await ctx.recordFile(`${real.name}.log`);
        const p = startRealServer(real, stateDir);
        await ctx.recordProcess(p);
        await waitRealServerReady(p, realServerLog(stateDir, real.name));
      }
      log(`real servers up: ${plan.reals.map((r) => `${r.name} ${r.host}:${r.port}`).join(', ')}`);
    };
    const [started] = await Promise.all([director.start(ctx), startReals()]);
    const info: LabInfo = {
      engine,
      id: plan.id,
      vip: plan.vip,
      reals: plan.reals.map((r) => ({ host: r.host, port: r.port, name: r.name })),
      clientNetns: plan.clientNetns,
      driver: started.driver,
      stateDir,
      details: { ...prepared, ...started.details },
    };
    state.info = info;
    await save();
    log(`lab ${plan.id} (${engine}) ready: VIP ${plan.vip.host}:${plan.vip.port}`);
    return info;
  } catch (err) {
    await saving.catch(() => {});
    await labDown({ stateDir }).catch(() => {});
    throw err;
  }
}

/** Which lab: its state dir, or the engine's default state dir. */
export interface LabRef {
  engine?: LabEngine;
  stateDir?: string;
}

function stateDirOf(ref: LabRef): string {
  if (ref.stateDir) return ref.stateDir;
  if (!ref.engine) throw new LabError('give the lab engine or its state dir');
  return defaultStateDir(ref.engine);
}

export interface LabDownResult {
  /** False when the state dir recorded no lab. */
  found: boolean;
  stoppedProcesses: string[];
  removedNamespaces: string[];
}

/**
 * Removes everything the recorded lab made: processes (by PID, after checking their command line),
 * namespaces (which takes the bridge, veths and tap with them), and its files.
 */
export async function labDown(ref: LabRef): Promise<LabDownResult> {
  const stateDir = stateDirOf(ref);
  const state = await readState(stateDir);
  if (!state) return { found: false, stoppedProcesses: [], removedNamespaces: [] };
  const stoppedProcesses: string[] = [];
  const pidFileProcesses = async (): Promise<RecordedProcess[]> => {
    const found: RecordedProcess[] = [];
    for (const f of ENGINES[state.engine].pidFiles?.(stateDir) ?? []) {
      const pid = Number.parseInt(await readFile(f.file, 'utf8').catch(() => ''), 10);
      if (pid > 0) found.push({ role: f.role, pid, cmdlineMarkers: f.cmdlineMarkers });
    }
    return found;
  };
  const stop = async (processes: RecordedProcess[]) => {
    for (const p of processes) {
      if (await isRecordedAlive(p)) {
        await stopRecorded(p);
        stoppedProcesses.push(`${p.role} (pid ${p.pid})`);
      }
    }
  };
  await stop([...state.processes].reverse().concat(await pidFileProcesses()));
  if (!state.info) {
    // `lab up` died half-way: a daemon it was starting may write its pid file only now.
    await sleep(500);
    await stop(await pidFileProcesses());
  }
  const present = new Set(await listNamespaces());
  // Names made with this lab's id, even ones a crash left unrecorded.
  const own = [...present].filter((n) => n.startsWith(`${NETNS_PREFIX}${state.id}-`));
  const removedNamespaces: string[] = [];
  for (const ns of new Set([...[...state.namespaces].reverse(), ...own])) {
    if (present.has(ns)) {
      await deleteNamespace(ns);
      removedNamespaces.push(ns);
    }
  }
  for (const f of [...state.files, `${STATE_FILE}.tmp`]) await rm(join(stateDir, f), { force: true });
  await rm(join(stateDir, STATE_FILE), { force: true });
  if (existsSync(stateDir) && (await readdir(stateDir)).length === 0) await rmdir(stateDir).catch(() => {});
  return { found: true, stoppedProcesses, removedNamespaces };
}

export interface LabStatus {
  up: boolean;
  stateDir: string;
  engine?: LabEngine;
  id?: string;
  createdAt?: string;
  info?: LabInfo;
  processes: Array<{ role: string; pid: number; alive: boolean; rssKb?: number; peakRssKb?: number }>;
  namespaces: Array<{ name: string; present: boolean }>;
  /** What the director says about itself (ipvsadm -Ln, the nft table, haproxy's server state). */
  director?: string;
}

export async function labStatus(ref: LabRef): Promise<LabStatus> {
  const stateDir = stateDirOf(ref);
  const state = await readState(stateDir);
  if (!state) return { up: false, stateDir, processes: [], namespaces: [] };
  const present = new Set(await listNamespaces());
  const processes = await Promise.all(
    state.processes.map(async (p) => {
      const alive = await isRecordedAlive(p);
      const mem = alive ? await memoryOf(p.pid) : undefined;
      return { role: p.role, pid: p.pid, alive, ...(mem ?? {}) };
    }),
  );
  const namespaces = state.namespaces.map((name) => ({ name, present: present.has(name) }));
  const up = Boolean(state.info) && processes.every((p) => p.alive) && namespaces.every((n) => n.present);
  const plan = planLab(state.engine, state.id, state.info?.vip.port ?? 2100);
  const director = up ? await ENGINES[state.engine].describe({ plan, stateDir }) : undefined;
  return {
    up,
    stateDir,
    engine: state.engine,
    id: state.id,
    createdAt: state.createdAt,
    ...(state.info ? { info: state.info } : {}),
    processes,
    namespaces,
    ...(director !== undefined ? { director } : {}),
  };
}

/** The LabInfo of the lab that is up in `stateDir`, or an error saying none is. */
export async function readLabInfo(ref: LabRef): Promise<LabInfo> {
  const stateDir = stateDirOf(ref);
  const info = (await readState(stateDir))?.info;
  if (!info) throw new LabError(`no lab is up in ${stateDir} (lvs-verify lab up --engine ...)`, 'LAB_NOT_UP');
  return info;
}

/** argv that runs `argv` inside the lab's client namespace, where the VIP is reachable. */
export function labExecArgv(info: Pick<LabInfo, 'clientNetns'>, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', info.clientNetns, ...argv];
}
