/**
 * The real-engine labs (ipvs, nft, haproxy) of @lvs-drain-kit/lab, as the CLI calls them.
 * This module is the seam between lvs-verify and the lab package: `lab up|down|status|exec`
 * and `drain-test --lab ENGINE` for engines other than `builtin` land here.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatHostPort } from '@lvs-drain-kit/common';
import { flagsFromSpec } from '@lvs-drain-kit/drivers';
import {
  defaultStateDir,
  LabError,
  type LabInfo,
  labDown,
  labExecArgv,
  labStatus,
  labUp,
  readLabInfo,
} from '@lvs-drain-kit/lab';
import { EnvironmentError } from './errors.js';

export const REAL_ENGINES = ['ipvs', 'nft', 'haproxy'] as const;
export type RealEngine = (typeof REAL_ENGINES)[number];

export function isRealEngine(engine: string): engine is RealEngine {
  return (REAL_ENGINES as readonly string[]).includes(engine);
}

const LVS_VERIFY_BIN = fileURLToPath(new URL('../bin/lvs-verify.js', import.meta.url));
const progress = (line: string) => process.stderr.write(`lab: ${line}\n`);

/** Lab errors happen before anything is drained: they are environment errors (exit 3). */
async function asEnvironment<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    if (err instanceof LabError) throw new EnvironmentError(err.message);
    throw err;
  }
}

/** The explicit drain-test arguments for a lab; `--drain` defaults to the first real server. */
export function drainTestArgs(info: LabInfo, passThrough: readonly string[] = []): string[] {
  return [
    'drain-test',
    '--vip',
    formatHostPort(info.vip),
    ...info.reals.flatMap((r) => ['--real', `${formatHostPort(r)}=${r.name}`]),
    '--drain',
    info.reals[0]!.name,
    // The lab's director through the same driver as a real cluster's, with the same flags.
    ...flagsFromSpec(info.driver),
    // Given later, the caller's flags win (e.g. another --drain).
    ...passThrough,
  ];
}

function describe(info: LabInfo): string[] {
  return [
    `${info.engine} lab ${info.id} up: VIP ${formatHostPort(info.vip)}, ${info.reals.map((r) => `${r.name} ${formatHostPort(r)}`).join(', ')}`,
    `client namespace ${info.clientNetns}; ${Object.entries(info.details)
      .filter(([k]) => k !== 'packages')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `try: lvs-verify lab exec --engine ${info.engine} -- ${['lvs-verify', ...drainTestArgs(info)].join(' ')}`,
  ];
}

/** `lab up --engine ENGINE`: prints what is up. */
export async function labUpEngine(engine: RealEngine, out: (line: string) => void): Promise<void> {
  const info = await asEnvironment(() => labUp({ engine, log: progress }));
  for (const line of describe(info)) out(line);
}

export async function labDownEngine(engine: RealEngine, out: (line: string) => void): Promise<void> {
  const r = await asEnvironment(() => labDown({ engine }));
  if (!r.found) out(`no ${engine} lab was up`);
  else
    out(
      `${engine} lab down: stopped ${r.stoppedProcesses.join(', ') || 'nothing'}; removed namespaces ${r.removedNamespaces.join(' ') || 'none'}`,
    );
}

export async function labStatusEngine(engine: RealEngine, out: (line: string) => void): Promise<void> {
  const s = await asEnvironment(() => labStatus({ engine }));
  if (!s.id) {
    out(`${engine} lab: down`);
    return;
  }
  out(`${engine} lab ${s.id}: ${s.up ? 'up' : 'broken (lvs-verify lab down to clean up)'} since ${s.createdAt}`);
  if (s.info) for (const line of describe(s.info).slice(0, 2)) out(`  ${line}`);
  for (const p of s.processes) {
    const mem =
      p.rssKb !== undefined
        ? `, rss ${Math.round(p.rssKb / 1024)} MB (peak ${Math.round((p.peakRssKb ?? 0) / 1024)} MB)`
        : '';
    out(`  ${p.role}: pid ${p.pid} ${p.alive ? 'running' : 'gone'}${mem}`);
  }
  for (const n of s.namespaces) out(`  netns ${n.name}: ${n.present ? 'present' : 'missing'}`);
  if (s.director) for (const line of s.director.split('\n')) out(`  | ${line}`);
}

/**
 * Runs argv with stdout/stderr attached; resolves with its exit code.
 * `ownGroup`: the child gets its own process group, so a terminal Ctrl-C reaches only this process,
 * which passes it on once (the verifier then restores before it exits). Otherwise (lab exec: a shell,
 * an interactive client) the terminal signals the child itself and only SIGTERM is passed on.
 */
function runAttached(argv: string[], ownGroup: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', detached: ownGroup });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    const signals: NodeJS.Signals[] = ownGroup ? ['SIGINT', 'SIGTERM'] : ['SIGTERM'];
    for (const s of signals) process.on(s, forward);
    const done = () => {
      for (const s of signals) process.off(s, forward);
    };
    child.once('error', (err) => {
      done();
      reject(new EnvironmentError(`cannot run ${argv[0]}: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? (signal === 'SIGINT' ? 130 : 143));
    });
  });
}

/** `lab exec --engine ENGINE -- CMD`: runs CMD in the lab's client namespace; resolves with its exit code. */
export async function labExecEngine(engine: RealEngine, argv: string[]): Promise<number> {
  const info = await asEnvironment(() => readLabInfo({ engine }));
  return runAttached(labExecArgv(info, argv), false);
}

/**
 * `drain-test --lab ENGINE`: up, run the verifier inside the client namespace with explicit flags
 * (`--vip --real --drain --driver ... ` plus `passThrough`), down. Resolves with the verifier's exit code.
 */
export async function drainTestOnLabEngine(engine: RealEngine, passThrough: string[]): Promise<number> {
  const started = performance.now();
  // A signal while the lab comes up: finish bringing it up (so it can be taken down whole), then stop.
  let interrupted: NodeJS.Signals | undefined;
  const note = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  process.on('SIGINT', note).on('SIGTERM', note);
  // Its own state dir: a lab kept up with `lab up` is left alone; a crashed run is replaced by the next.
  const stateDir = defaultStateDir(`${engine}-drain-test`);
  const info = await asEnvironment(() => labUp({ engine, stateDir, log: progress })).finally(() => {
    process.off('SIGINT', note).off('SIGTERM', note);
  });
  try {
    if (interrupted) return interrupted === 'SIGINT' ? 130 : 143;
    progress(
      `ready in ${((performance.now() - started) / 1000).toFixed(1)} s; running drain-test in ${info.clientNetns}`,
    );
    return await runAttached(
      labExecArgv(info, [process.execPath, LVS_VERIFY_BIN, ...drainTestArgs(info, passThrough)]),
      true,
    );
  } finally {
    const r = await labDown({ stateDir: info.stateDir });
    progress(`down (${r.removedNamespaces.length} namespaces removed)`);
  }
}
