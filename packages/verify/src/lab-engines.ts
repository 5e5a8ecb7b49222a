/**
 * The labs of @lvs-drain-kit/lab as the CLI calls them, the same calls for every engine (builtin, ipvs,
 * nft, haproxy): `lab up|down|status|exec` and `drain-test --lab ENGINE`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHostPort, shellJoin } from '@lvs-drain-kit/common';
import { flagsFromSpec } from '@lvs-drain-kit/drivers';
import {
  defaultStateDir,
  ENGINES,
  type LabEngine,
  LabError,
  type LabInfo,
  LabOptionError,
  type LabUpOptions,
  labDirectorExec,
  labDown,
  labExecArgv,
  labStatus,
  labUp,
  type Misbehaviour,
  NFT_HASH_EXPRESSIONS,
  readLabInfo,
} from '@lvs-drain-kit/lab';
import { EnvironmentError, UsageError } from './errors.js';

const LVS_VERIFY_BIN = fileURLToPath(new URL('../bin/lvs-verify.js', import.meta.url));
const progress = (line: string) => process.stderr.write(`lab: ${line}\n`);

/** How a lab's director is set up: its scheduler, persistence and scheduler flags (`lab up`, `drain-test --lab`). */
export type LabSetup = Pick<LabUpOptions, 'scheduler' | 'persistent' | 'schedulerFlags'>;

/** The lab's director set-up as `lab up` flags give it (drain-test --lab-… give the same). */
export interface LabSetupFlags {
  scheduler?: string;
  persistent?: number;
  schedFlags?: string;
}

export function labSetup(f: LabSetupFlags): LabSetup {
  return {
    ...(f.scheduler !== undefined ? { scheduler: f.scheduler } : {}),
    ...(f.persistent !== undefined ? { persistent: f.persistent } : {}),
    ...(f.schedFlags !== undefined
      ? {
          schedulerFlags: f.schedFlags
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        }
      : {}),
  };
}

/**
 * Lab errors happen before anything is drained: they are environment errors (exit 3), but an option
 * the engine does not take is the caller's mistake (exit 2).
 */
async function asEnvironment<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    if (err instanceof LabOptionError) throw new UsageError(err.message);
    if (err instanceof LabError) throw new EnvironmentError(err.message);
    throw err;
  }
}

/** The value of `--probe` among drain-test arguments, if given. */
function probeIn(args: readonly string[]): string | undefined {
  let found: string | undefined;
  args.forEach((a, i) => {
    if (a === '--probe') found = args[i + 1];
    else if (a.startsWith('--probe=')) found = a.slice('--probe='.length);
  });
  return found;
}

/**
 * The explicit drain-test arguments for a lab; `--drain` defaults to the first real server. With
 * `--probe http` among `passThrough`, the lab's HTTP service (nginx on the same real servers) is tested,
 * its servers named by their X-Served-By header unless the caller says otherwise.
 */
export function drainTestArgs(info: LabInfo, passThrough: readonly string[] = []): string[] {
  const http = probeIn(passThrough) === 'http' ? info.http : undefined;
  const service = http ?? info;
  const identityGiven = passThrough.some((a) => /^--identity-(header|regex)(=|$)/.test(a));
  return [
    'drain-test',
    '--vip',
    formatHostPort(service.vip),
    ...service.reals.flatMap((r) => ['--real', `${formatHostPort(r)}=${r.name}`]),
    '--drain',
    service.reals[0]!.name,
    // The lab's director through the same driver as a real cluster's, with the same flags.
    ...flagsFromSpec(service.driver),
    ...(http && !identityGiven ? ['--identity-header', http.identityHeader] : []),
    // Given later, the caller's flags win (e.g. another --drain).
    ...passThrough,
  ];
}

/**
 * Command lines to try on a lab that is up, runnable as printed from the repository: a drain test
 * where the lab's clients run, and a look at the director. `sudo` when the lab was made under sudo.
 */
export function tryLines(info: LabInfo, env: NodeJS.ProcessEnv = process.env): string[] {
  const sudo = ENGINES[info.engine].needsRoot && env.SUDO_USER ? ['sudo'] : [];
  const verify = [...sudo, 'npx', 'lvs-verify'];
  const engine = info.engine === 'builtin' ? [] : ['--engine', info.engine];
  // Without a client namespace (builtin) the verifier runs right here.
  const drainTest = info.clientNetns
    ? [...verify, 'lab', 'exec', ...engine, '--', 'npx', 'lvs-verify', ...drainTestArgs(info)]
    : [...verify, ...drainTestArgs(info)];
  const director = [...verify, 'lab', 'exec', ...engine, '--director', '--', ...ENGINES[info.engine].exampleCommand];
  const lines = [shellJoin(drainTest), shellJoin(director)];
  // The same drain through the lab's HTTP service, probed as an operator's own service would be.
  if (info.http && info.clientNetns) {
    lines.push(
      shellJoin([
        ...verify,
        'lab',
        'exec',
        ...engine,
        '--',
        'npx',
        'lvs-verify',
        ...drainTestArgs(info, ['--probe', 'http']),
      ]),
    );
  }
  return lines;
}

/** The scheduler as a person would write it on this director: `sh -b sh-fallback -p 300`, `balance source`. */
export function describeScheduler(
  info: Pick<LabInfo, 'engine' | 'scheduler' | 'schedulerFlags' | 'persistent'>,
): string {
  const name = info.scheduler ?? '?';
  if (info.engine === 'haproxy') return `balance ${name}`;
  if (info.engine === 'nft') return `dnat to ${NFT_HASH_EXPRESSIONS[name] ?? name}`;
  const flags = info.schedulerFlags?.length ? ` -b ${info.schedulerFlags.join(',')}` : '';
  return `${name}${flags}${info.persistent !== undefined ? ` -p ${info.persistent}` : ''}`;
}

function describe(info: LabInfo): string[] {
  const details = Object.entries(info.details)
    .filter(([k]) => k !== 'packages')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const sources = info.clientSources ? `, or from ${info.clientSources} (--source-range)` : '';
  return [
    `${info.engine} lab ${info.id} up: VIP ${formatHostPort(info.vip)}, ${info.reals.map((r) => `${r.name} ${formatHostPort(r)}`).join(', ')}`,
    `scheduler ${describeScheduler(info)}; ${info.clientNetns ? `client namespace ${info.clientNetns}` : 'clients run on this host'}${sources}; ${details}`,
  ];
}

/** `lab up --engine ENGINE`: prints what is up and what to try. */
export async function labUpEngine(engine: LabEngine, out: (line: string) => void, setup: LabSetup = {}): Promise<void> {
  const info = await asEnvironment(() => labUp({ engine, log: progress, ...setup }));
  for (const line of describe(info)) out(line);
  for (const line of tryLines(info)) out(`try: ${line}`);
}

export async function labDownEngine(engine: LabEngine, out: (line: string) => void): Promise<void> {
  const r = await asEnvironment(() => labDown({ engine }));
  if (!r.found) {
    out(`no ${engine} lab was up`);
    return;
  }
  const namespaces = r.removedNamespaces.length > 0 ? `; removed namespaces ${r.removedNamespaces.join(' ')}` : '';
  out(`${engine} lab down: stopped ${r.stoppedProcesses.join(', ') || 'nothing'}${namespaces}`);
}

export async function labStatusEngine(engine: LabEngine, out: (line: string) => void): Promise<void> {
  const s = await asEnvironment(() => labStatus({ engine }));
  if (!s.id) {
    out(`${engine} lab: down`);
    return;
  }
  out(`${engine} lab ${s.id}: ${s.up ? 'up' : 'broken (lvs-verify lab down to clean up)'} since ${s.createdAt}`);
  if (s.info) for (const line of describe(s.info)) out(`  ${line}`);
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

export interface LabExecIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * `lab exec --engine ENGINE -- CMD`: runs CMD where the lab's clients run (its client namespace, or this
 * host); with `director`, on the director (its namespace, the VM over its serial channel, or the builtin
 * director's ipvsadm control port). Resolves with CMD's exit code.
 */
export async function labExecEngine(
  engine: LabEngine,
  argv: string[],
  options: { director?: boolean },
  io: LabExecIo,
): Promise<number> {
  if (!options.director) {
    const info = await asEnvironment(() => readLabInfo({ engine }));
    return runAttached(labExecArgv(info, argv), false);
  }
  const exec = await asEnvironment(() => labDirectorExec({ engine }));
  if ('argvPrefix' in exec) return runAttached([...exec.argvPrefix, ...argv], false);
  let result: Awaited<ReturnType<typeof exec.run>>;
  try {
    result = await exec.run(argv);
  } catch (err) {
    throw new EnvironmentError(`cannot run ${argv[0]} on the ${engine} lab director: ${(err as Error).message}`);
  }
  if (result.stdout) io.out(result.stdout);
  if (result.stderr) io.err(result.stderr);
  return result.exitCode;
}

/** A builtin lab that lives as long as this process (`drain-test --lab`): its director watches us. */
export async function startOwnedLab(
  misbehave: readonly Misbehaviour[],
  setup: LabSetup = {},
): Promise<{ info: LabInfo; down: () => Promise<void> }> {
  // A directory of its own: two runs at once never share a lab.
  const stateDir = await mkdtemp(join(tmpdir(), 'ldk-lab-builtin-'));
  const info = await asEnvironment(() =>
    labUp({ engine: 'builtin', stateDir, misbehave, ownedBy: process.pid, ...setup }),
  ).catch(async (err: unknown) => {
    await rmdir(stateDir).catch(() => {});
    throw err;
  });
  return {
    info,
    down: async () => {
      await labDown({ stateDir });
    },
  };
}

/**
 * `drain-test --lab ENGINE` for an engine with a client namespace: up, run the verifier inside it with
 * explicit flags (`--vip --real --drain --driver ...` plus `passThrough`), down. Resolves with its exit code.
 */
export async function drainTestOnLabEngine(
  engine: LabEngine,
  passThrough: string[],
  setup: LabSetup = {},
): Promise<number> {
  const started = performance.now();
  // A signal while the lab comes up: finish bringing it up (so it can be taken down whole), then stop.
  let interrupted: NodeJS.Signals | undefined;
  const note = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  process.on('SIGINT', note).on('SIGTERM', note);
  // Its own state dir: a lab kept up with `lab up` is left alone; a crashed run is replaced by the next.
  const stateDir = defaultStateDir(engine, 'drain-test');
  const info = await asEnvironment(() => labUp({ engine, stateDir, log: progress, ...setup })).finally(() => {
    process.off('SIGINT', note).off('SIGTERM', note);
  });
  try {
    if (interrupted) return interrupted === 'SIGINT' ? 130 : 143;
    progress(
      `ready in ${((performance.now() - started) / 1000).toFixed(1)} s; running drain-test in ${info.clientNetns ?? 'this host'}`,
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
