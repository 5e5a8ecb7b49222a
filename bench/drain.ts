/**
 * `lvs-verify drain-test --lab nft --connections N` at scale (needs root: the lab makes network
 * namespaces): how long to a verdict, how much memory, and how late each Node process's event loop
 * ran — a verifier too busy to keep time must not be mistaken for a slow server.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DrainReport } from '@lvs-drain-kit/verify';

const VERIFY_BIN = fileURLToPath(new URL('../packages/verify/bin/lvs-verify.js', import.meta.url));
const PROBE = fileURLToPath(new URL('./loop-delay-probe.mjs', import.meta.url));
/** The whole run, lab up and down included, may take this long before it is interrupted. */
const RUN_LIMIT_MS = 180_000;

export interface ProcessFigures {
  role: 'verifier' | 'lab (outer lvs-verify)' | 'real server' | 'other';
  pid: number;
  maxRssBytes: number;
  loopDelayMs: { p50: number; p99: number; max: number };
}

export interface DrainPoint {
  engine: string;
  connections: number;
  verdict: string;
  exitCode: number | null;
  /** From the start of lvs-verify to its exit: lab up, test, lab down. */
  wallMs: number;
  /** The test itself, as the report gives it. */
  reportMs: number | undefined;
  phasesMs: Record<string, number>;
  /** Rounds of lines each old connection got through during the hold (the interval sets the most). */
  holdRoundsNote: string | undefined;
  /** Old connections' round trip during the hold, p50/p99 in ms, all servers. */
  holdRttMs: { p50: number; p99: number } | undefined;
  processes: ProcessFigures[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function roleOf(argv: string[]): ProcessFigures['role'] {
  const text = argv.join(' ');
  if (text.includes('rs-server')) return 'real server';
  if (text.includes('--lab')) return 'lab (outer lvs-verify)';
  if (text.includes('drain-test')) return 'verifier';
  return 'other';
}

export async function drainAtScale(connections: number, engine = 'nft'): Promise<DrainPoint> {
  if (process.getuid?.() !== 0) throw new Error('needs root: the lab makes network namespaces');
  const dir = mkdtempSync(join(tmpdir(), 'lvs-bench-drain-'));
  try {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [VERIFY_BIN, 'drain-test', '--lab', engine, '--connections', String(connections), '--json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${PROBE}`.trim(),
          LVS_BENCH_LOOP_DIR: dir,
        },
      },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    // Bounded: SIGINT makes lvs-verify restore and take the lab down; SIGKILL if even that hangs.
    const interrupt = setTimeout(() => child.kill('SIGINT'), RUN_LIMIT_MS);
    const kill = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS + 30_000);
    const [exitCode] = (await once(child, 'exit')) as [number | null];
    clearTimeout(interrupt);
    clearTimeout(kill);
    const wallMs = Math.round(performance.now() - started);

    let report: DrainReport | undefined;
    try {
      report = JSON.parse(out) as DrainReport;
    } catch {
      throw new Error(
        `lvs-verify gave no JSON report (exit ${exitCode}): ${err.trim().split('\n').slice(-3).join(' ')}`,
      );
    }
    const processes: ProcessFigures[] = readdirSync(dir).map((f) => {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Omit<ProcessFigures, 'role'> & { argv: string[] };
      return { role: roleOf(r.argv), pid: r.pid, maxRssBytes: r.maxRssBytes, loopDelayMs: r.loopDelayMs };
    });
    const rtts = Object.values(report.latency ?? {})
      .map((l) => l.hold?.rtt)
      .filter((r) => r !== undefined);
    return {
      engine,
      connections,
      verdict: report.verdict,
      exitCode,
      wallMs,
      reportMs: report.durationMs,
      phasesMs: Object.fromEntries(report.phases.map((p) => [p.id, p.durationMs])),
      holdRoundsNote: report.checks.find((c) => c.id === 'old-connections-survive')?.message,
      holdRttMs:
        rtts.length > 0
          ? { p50: round1(Math.max(...rtts.map((r) => r.p50))), p99: round1(Math.max(...rtts.map((r) => r.p99))) }
          : undefined,
      processes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
