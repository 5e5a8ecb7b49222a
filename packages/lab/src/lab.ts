/**
 * Lab life cycle for every engine: `labUp` builds what all labs share (namespaces on a bridge, or nothing
 * for the loopback lab; the real servers; the state file) and lets the engine start its director;
 * `labDown` removes whatever the state file records; `labStatus` and `labExecArgv`/`labDirectorExec` read it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ipv4RangeHosts, isStillOurs, parseIpv4Range, stopRecordedProcess } from '@lvs-drain-kit/common';
import type { DirectorExec, EngineContext, EngineOptions, ReadyReal } from './engines/engine.js';
import { ENGINES } from './engines/index.js';
import { LabError, LabNeedsRootError, LabOptionError, LabToolMissingError } from './errors.js';
import { httpServerFiles, SERVED_BY_HEADER, startHttpServer, waitHttpServerReady } from './http-servers.js';
import type { LabInfo } from './lab-info.js';
import { defaultCacheDir, labStateBase } from './paths.js';
import { type LabEngine, type LabPlanOptions, labScheduler, NETNS_PREFIX, planLab, planNamespaces } from './plan.js';
import { memoryOf } from './processes.js';
import { realServerLog, startRealServer, waitRealServerReady } from './real-servers.js';
import { type LabProcess, type LabState, readState, STATE_FILE, writeState } from './state.js';
import {
  addAddresses,
  addBridge,
  addMember,
  addTap,
  deleteNamespace,
  listNamespaces,
  makeDirectRoutingReal,
} from './topology.js';

export interface LabUpOptions extends LabPlanOptions, EngineOptions {
  engine: LabEngine;
  /** Where the lab records what it made; one lab per state dir. Default: `defaultStateDir(engine)`. */
  stateDir?: string;
  /** Downloads and built images. Default $XDG_CACHE_HOME/lvs-drain-kit or ~/.cache/lvs-drain-kit. */
  cacheDir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The state dir of an engine's lab: `<base>/lab-ENGINE` (`lab-ENGINE-SUFFIX` for a lab of another purpose). */
export function defaultStateDir(engine: LabEngine, suffix?: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(labStateBase(ENGINES[engine].needsRoot, env), `lab-${engine}${suffix ? `-${suffix}` : ''}`);
}

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
  const director = ENGINES[engine];
  if (director.needsRoot && !isRoot()) throw new LabNeedsRootError(engine);
  const base =
    director.network === 'namespaces'
      ? [
          { name: 'ip', hint: 'apt-get install iproute2' },
          { name: 'sysctl', hint: 'apt-get install procps' },
          // Each real server's HTTP service, in a UTS namespace of its own.
          { name: 'nginx', hint: 'apt-get install nginx-light' },
          { name: 'unshare', hint: 'apt-get install util-linux' },
        ]
      : [];
  for (const tool of [...base, ...director.tools]) {
    if (!onPath(tool.name)) throw new LabToolMissingError(tool.name, tool.hint);
  }
}

/** ipvsadm -b flags, each for the schedulers that read it. */
const SCHEDULER_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'sh-fallback': ['sh'],
  'sh-port': ['sh'],
  'mh-fallback': ['mh'],
  'mh-port': ['mh'],
};

function engineOptions(options: LabUpOptions): EngineOptions {
  const given: EngineOptions = {
    ...(options.persistent !== undefined ? { persistent: options.persistent } : {}),
    ...(options.schedulerFlags?.length ? { schedulerFlags: options.schedulerFlags } : {}),
    ...(options.misbehave?.length ? { misbehave: options.misbehave } : {}),
    ...(options.ownedBy !== undefined ? { ownedBy: options.ownedBy } : {}),
  };
  for (const key of Object.keys(given) as Array<keyof EngineOptions>) {
    if (!ENGINES[options.engine].options.includes(key)) {
      throw new LabOptionError(`the ${options.engine} lab has no option ${key}`);
    }
  }
  const { persistent, schedulerFlags } = given;
  if (persistent !== undefined && !(Number.isInteger(persistent) && persistent >= 1 && persistent <= 86_400)) {
    throw new LabOptionError(`persistent ${persistent}: expected whole seconds, 1-86400`);
  }
  const scheduler = options.scheduler ?? '';
  for (const flag of schedulerFlags ?? []) {
    const takers = SCHEDULER_FLAGS[flag];
    if (!takers)
      throw new LabOptionError(`no scheduler flag "${flag}": expected ${Object.keys(SCHEDULER_FLAGS).join(', ')}`);
    if (!takers.includes(scheduler)) {
      throw new LabOptionError(
        `scheduler flag ${flag} is for the ${takers.join(', ')} scheduler, not ${scheduler || 'the default'}`,
      );
    }
  }
  return given;
}

/** Both settled (nothing is still starting when the caller cleans up), then the first failure, if any. */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/**
 * Builds a lab: the real servers (the real `rs-server`) and the engine's director — for namespace
 * engines with a client, a bridge and every member in namespaces of their own. Replaces whatever lab
 * the state dir still records (e.g. after a crash). On any failure everything made so far is removed
 * before the error is thrown.
 */
export async function labUp(options: LabUpOptions): Promise<LabInfo> {
  const { engine } = options;
  const ownOptions = engineOptions(options);
  // A scheduler the engine does not have is refused before anything is made.
  labScheduler(engine, options.scheduler);
  assertLabCanRun(engine);
  const stateDir = options.stateDir ?? defaultStateDir(engine);
  const log = options.log ?? (() => {});
  if (await readState(stateDir)) {
    log(`replacing the lab recorded in ${stateDir}`);
    await labDown({ stateDir });
  }
  const plan = planLab(engine, randomBytes(2).toString('hex'), {
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.realCount !== undefined ? { realCount: options.realCount } : {}),
    ...(options.scheduler !== undefined ? { scheduler: options.scheduler } : {}),
  });
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
  const recordProcess = async (p: LabProcess) => {
    state.processes.push(p);
    await save();
  };
  const recordFile = async (f: string) => {
    if (!state.files.includes(f)) state.files.push(f);
    await save();
  };
  const startReals = async (): Promise<ReadyReal[]> => {
    const ready = await Promise.all(
      plan.reals.map(async (real) => {
        await recordFile(`${real.name}.log`);
        const p = startRealServer(real, stateDir);
        await recordProcess(p);
        const port = await waitRealServerReady(p, realServerLog(stateDir, real.name));
        if (plan.httpPort !== undefined) {
          const files = httpServerFiles(real.name);
          await recordFile(files.log);
          await recordFile(files.dir);
          const web = await startHttpServer(real, plan.httpPort, stateDir);
          await recordProcess(web);
          await waitHttpServerReady(web, real.name, stateDir);
        }
        return { name: real.name, host: real.host, port, process: p };
      }),
    );
    log(
      `real servers up: ${ready.map((r) => `${r.name} ${r.host}:${r.port}`).join(', ')}${plan.httpPort !== undefined ? ` (and nginx on :${plan.httpPort})` : ''}`,
    );
    return ready;
  };
  // The real servers start once the namespaces exist; engines may wait for them (a picked port).
  let startRealsNow = () => {};
  const reals = new Promise<void>((resolve) => {
    startRealsNow = resolve;
  }).then(startReals);
  const ctx: EngineContext = {
    plan,
    stateDir,
    cacheDir: options.cacheDir ?? defaultCacheDir(),
    options: ownOptions,
    log,
    reals,
    recordProcess,
    recordFile,
  };
  try {
    const prepared = (await director.prepare?.(ctx)) ?? {};
    if (plan.segment) {
      log(`lab ${plan.id}: namespaces`);
      await addBridge(plan.segment);
      if (director.needsTap) await addTap(plan.segment);
      if (plan.clientNetns) {
        await addMember(plan.segment, plan.clientNetns, 'client', plan.clientHost);
        // Secondary addresses: connections go out from the client's own address unless bound to one.
        const sources = ipv4RangeHosts(parseIpv4Range(plan.clientSources));
        await addAddresses(plan.clientNetns, 'eth0', sources, plan.segment.prefixLength);
      }
      if (plan.directorNetns) await addMember(plan.segment, plan.directorNetns, 'dir', plan.directorHost);
      for (const real of plan.reals) {
        if (!real.netns) continue;
        await addMember(plan.segment, real.netns, real.name, real.host);
        if (director.directRouting) await makeDirectRoutingReal(real.netns, plan.vip.host);
      }
    }
    startRealsNow();
    const [started, ready] = await settleBoth(director.start(ctx), reals);
    const vip = started.vip ?? plan.vip;
    const info: LabInfo = {
      engine,
      id: plan.id,
      vip,
      reals: ready.map((r) => ({ host: r.host, port: r.port, name: r.name })),
      ...(plan.clientNetns ? { clientNetns: plan.clientNetns } : {}),
      driver: started.driver,
      scheduler: plan.scheduler,
      ...(ownOptions.schedulerFlags ? { schedulerFlags: [...ownOptions.schedulerFlags] } : {}),
      ...(ownOptions.persistent !== undefined ? { persistent: ownOptions.persistent } : {}),
      clientSources: plan.clientSources,
      ...(plan.httpPort !== undefined
        ? {
            http: {
              vip: { host: vip.host, port: plan.httpPort },
              reals: ready.map((r) => ({ host: r.host, port: plan.httpPort!, name: r.name })),
              driver: started.httpDriver ?? started.driver,
              identityHeader: SERVED_BY_HEADER,
            },
          }
        : {}),
      stateDir,
      details: { ...prepared, ...started.details },
    };
    state.info = info;
    await save();
    log(`lab ${plan.id} (${engine}) ready: VIP ${vip.host}:${vip.port}`);
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
  engine?: LabEngine;
  stoppedProcesses: string[];
  removedNamespaces: string[];
}

/**
 * Removes everything the recorded lab made: processes (by PID, after checking it is still the process
 * recorded), namespaces (which takes the bridge, veths and tap with them), and its files.
 */
export async function labDown(ref: LabRef): Promise<LabDownResult> {
  const stateDir = stateDirOf(ref);
  const state = await readState(stateDir);
  if (!state) return { found: false, stoppedProcesses: [], removedNamespaces: [] };
  const stoppedProcesses: string[] = [];
  const pidFileProcesses = async (): Promise<LabProcess[]> => {
    const found: LabProcess[] = [];
    for (const f of ENGINES[state.engine].pidFiles?.(stateDir) ?? []) {
      const pid = Number.parseInt(await readFile(f.file, 'utf8').catch(() => ''), 10);
      if (pid > 0) found.push({ role: f.role, pid, cmdlineMarkers: f.cmdlineMarkers });
    }
    return found;
  };
  const stop = async (processes: LabProcess[]) => {
    for (const p of processes) {
      if (await stopRecordedProcess(p)) stoppedProcesses.push(`${p.role} (pid ${p.pid})`);
    }
  };
  await stop([...state.processes].reverse().concat(await pidFileProcesses()));
  if (!state.info && ENGINES[state.engine].pidFiles) {
    // `lab up` died half-way: a daemon it was starting may write its pid file only now.
    await sleep(500);
    await stop(await pidFileProcesses());
  }
  const present = state.namespaces.length > 0 ? new Set(await listNamespaces()) : new Set<string>();
  // Names made with this lab's id, even ones a crash left unrecorded.
  const own = [...present].filter((n) => n.startsWith(`${NETNS_PREFIX}${state.id}-`));
  const removedNamespaces: string[] = [];
  for (const ns of new Set([...[...state.namespaces].reverse(), ...own])) {
    if (present.has(ns)) {
      await deleteNamespace(ns);
      removedNamespaces.push(ns);
    }
  }
  // A recorded name may be a directory of the lab's (an nginx prefix).
  for (const f of [...state.files, `${STATE_FILE}.tmp`]) await rm(join(stateDir, f), { force: true, recursive: true });
  await rm(join(stateDir, STATE_FILE), { force: true });
  if (existsSync(stateDir) && (await readdir(stateDir)).length === 0) await rmdir(stateDir).catch(() => {});
  return { found: true, engine: state.engine, stoppedProcesses, removedNamespaces };
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
  const present = state.namespaces.length > 0 ? new Set(await listNamespaces()) : new Set<string>();
  const processes = await Promise.all(
    state.processes.map(async (p) => {
      const alive = await isStillOurs(p);
      const mem = alive ? await memoryOf(p.pid) : undefined;
      return { role: p.role, pid: p.pid, alive, ...(mem ?? {}) };
    }),
  );
  const namespaces = state.namespaces.map((name) => ({ name, present: present.has(name) }));
  const up = Boolean(state.info) && processes.every((p) => p.alive) && namespaces.every((n) => n.present);
  const director =
    up && state.info
      ? await ENGINES[state.engine].describe({ plan: planOf(state.info), stateDir, info: state.info })
      : undefined;
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

/** The plan a lab was built from (plans are pure: the same id and port give the same names). */
function planOf(info: LabInfo) {
  return planLab(info.engine, info.id, {
    port: info.vip.port,
    realCount: info.reals.length,
    ...(info.scheduler !== undefined ? { scheduler: info.scheduler } : {}),
  });
}

/** The LabInfo of the lab that is up in `stateDir`, or an error saying none is. */
export async function readLabInfo(ref: LabRef): Promise<LabInfo> {
  const stateDir = stateDirOf(ref);
  const info = (await readState(stateDir))?.info;
  if (!info) {
    const hint = ref.engine ? `lvs-verify lab up --engine ${ref.engine}` : 'lvs-verify lab up';
    throw new LabError(`no lab is up in ${stateDir} (${hint})`, 'LAB_NOT_UP');
  }
  return info;
}

/** argv that runs `argv` where the lab's clients run: its client namespace, or this host (builtin). */
export function labExecArgv(info: Pick<LabInfo, 'clientNetns'>, argv: readonly string[]): string[] {
  return info.clientNetns ? ['ip', 'netns', 'exec', info.clientNetns, ...argv] : [...argv];
}

/** How to run a command on the director of the lab that is up (`lab exec --director`). */
export async function labDirectorExec(ref: LabRef): Promise<DirectorExec> {
  const info = await readLabInfo(ref);
  return ENGINES[info.engine].directorExec({ plan: planOf(info), stateDir: info.stateDir, info });
}
