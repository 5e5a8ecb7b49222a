/**
 * Warm start of the labs whose director is a Debian kernel under qemu: `lvs-verify lab up --engine
 * ipvs|keepalived` from launch to ready, with the director image already built, the engines taking turns
 * so that whatever else loads the machine falls on both; `lab down` after each. Beside the wall clock,
 * the VM's CPU seconds at ready: under software emulation the VM is CPU-bound, and its CPU time does not
 * grow when other work on the machine stretches the wall clock.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERIFY_BIN = fileURLToPath(new URL('../packages/verify/bin/lvs-verify.js', import.meta.url));
/** A `lab up` that takes longer is interrupted (it takes its lab down itself) and counted as failed. */
const UP_LIMIT_MS = 120_000;
/** /proc/PID/stat counts CPU time in clock ticks of 1/100 s on Linux. */
const CLOCK_TICKS = 100;

export interface LabStartRun {
  /** Launch of `lvs-verify lab up` to its exit with the lab ready. */
  wallMs: number;
  /** Launch to the namespaces (image found in the cache), to the VM's ready banner, to the director programmed. */
  phasesMs: { image: number; boot: number; director: number };
  /** The VM's CPU time (user + system) when `lab up` returned. */
  vmCpuMs: number | undefined;
}

export interface LabStartPoint {
  engine: string;
  runs: LabStartRun[];
  medianMs: number;
  medianVmCpuMs: number | undefined;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
};

function cpuMsOf(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Math.round(((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS);
  } catch {
    return undefined;
  }
}

async function verify(args: string[], env: NodeJS.ProcessEnv, limitMs: number) {
  const child = spawn(process.execPath, [VERIFY_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const started = performance.now();
  const lines: Array<{ atMs: number; line: string }> = [];
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    const atMs = Math.round(performance.now() - started);
    for (const line of d.split('\n')) if (line.trim()) lines.push({ atMs, line });
  });
  const interrupt = setTimeout(() => child.kill('SIGINT'), limitMs);
  const kill = setTimeout(() => child.kill('SIGKILL'), limitMs + 30_000);
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  const wallMs = Math.round(performance.now() - started);
  clearTimeout(interrupt);
  clearTimeout(kill);
  return { exitCode, wallMs, lines, out };
}

/** One `lab up` and `lab down`; undefined when the image had to be built (a cold start, not counted). */
async function oneStart(engine: string, env: NodeJS.ProcessEnv): Promise<LabStartRun | undefined> {
  try {
    const up = await verify(['lab', 'up', '--engine', engine], env, UP_LIMIT_MS);
    const vmPid = /vmPid (\d+)/.exec(up.out)?.[1];
    const vmCpuMs = vmPid ? cpuMsOf(Number(vmPid)) : undefined;
    if (up.exitCode !== 0) {
      throw new Error(`lab up --engine ${engine} exit ${up.exitCode}: ${up.lines.at(-1)?.line ?? ''}`);
    }
    if (up.lines.some((l) => l.line.includes('building the director image'))) return undefined;
    const at = (re: RegExp) => up.lines.find((l) => re.test(l.line))?.atMs ?? Number.NaN;
    return {
      wallMs: up.wallMs,
      phasesMs: { image: at(/: namespaces$/), boot: at(/director VM up/), director: at(/\) ready: VIP/) },
      vmCpuMs,
    };
  } finally {
    await verify(['lab', 'down', '--engine', engine], env, 60_000);
  }
}

/** `runs` warm starts of each engine, taking turns; a start that had to build its image is done again. */
export async function labStarts(
  engines: readonly string[],
  runs: number,
  progress: (line: string) => void,
): Promise<LabStartPoint[]> {
  if (process.getuid?.() !== 0) throw new Error('needs root: the labs make network namespaces and boot qemu');
  // A state directory of the bench's own: a lab someone keeps running in the default one is left alone.
  const stateBase = mkdtempSync(join(tmpdir(), 'lvs-bench-labs-'));
  const env = { ...process.env, LVS_DRAIN_KIT_LAB_STATE: stateBase };
  const results = new Map(engines.map((e) => [e, [] as LabStartRun[]]));
  try {
    for (let round = 1; round <= runs; round++) {
      for (const engine of engines) {
        progress(`lab up --engine ${engine}, warm start ${round} of ${runs}`);
        const run = (await oneStart(engine, env)) ?? (await oneStart(engine, env));
        if (!run) throw new Error(`lab up --engine ${engine} built its image twice: the cache is not kept`);
        results.get(engine)!.push(run);
      }
    }
  } finally {
    rmSync(stateBase, { recursive: true, force: true });
  }
  return engines.map((engine) => {
    const list = results.get(engine)!;
    const cpu = list.map((r) => r.vmCpuMs).filter((x) => x !== undefined);
    return {
      engine,
      runs: list,
      medianMs: median(list.map((r) => r.wallMs)),
      medianVmCpuMs: cpu.length === list.length ? median(cpu) : undefined,
    };
  });
}
