import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LabEngine, type LabInfo, labDown, labExecArgv, labUp } from '@lvs-drain-kit/lab';
import { LVS_VERIFY_BIN } from '@lvs-drain-kit/testkit';
import type { CheckResult, DrainReport, DriverSpec } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
import type { DrainJob } from './drain-in-client.js';

const DRAIN_IN_CLIENT = fileURLToPath(new URL('./drain-in-client.ts', import.meta.url));

/** Short timings: the hold outlasts the per-reply timeout, so a hung connection is seen. */
export const QUICK = {
  connections: 6,
  newConnections: 8,
  holdMs: 2500,
  intervalMs: 200,
  timeoutMs: 1000,
  restoreTimeoutMs: 5000,
} as const;

export const QUICK_FLAGS = [
  '--connections',
  '6',
  '--new-connections',
  '8',
  '--hold',
  '2500ms',
  '--interval',
  '200ms',
  '--timeout',
  '1s',
  '--restore-timeout',
  '5s',
];

export interface TestLab {
  info: LabInfo;
  scratch: string;
  /** Removes the lab and the scratch dir; safe to call twice. */
  down(): Promise<void>;
}

/** A lab in its own state dir (not the user's), with a scratch dir for journals. */
export async function startTestLab(engine: LabEngine): Promise<TestLab> {
  const scratch = await mkdtemp('/tmp/ldk-labs-test-');
  const stateDir = join(scratch, 'state');
  const down = async () => {
    await labDown({ stateDir });
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    const info = await labUp({ engine, stateDir });
    return { info, scratch, down };
  } catch (err) {
    await down();
    throw err;
  }
}

/** One drain test through the verify library inside the client namespace; the report it printed. */
export async function drainInClient(
  lab: TestLab,
  driverSpec: DriverSpec,
  extra: Partial<Omit<DrainJob, 'info' | 'driverSpec' | 'journalPath'>> = {},
): Promise<DrainReport> {
  const job: DrainJob = {
    info: lab.info,
    driverSpec,
    journalPath: join(lab.scratch, `journal-${Date.now()}.json`),
    options: QUICK,
    ...extra,
  };
  const argv = labExecArgv(lab.info, [process.execPath, '--import', 'tsx', DRAIN_IN_CLIENT, JSON.stringify(job)]);
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 120_000 });
  if (r.exitCode !== 0) throw new Error(`drain-in-client exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(String(r.stdout)) as DrainReport;
}

/** The real lvs-verify binary inside the client namespace. */
export async function verifyInClient(lab: TestLab, args: string[]) {
  const argv = labExecArgv(lab.info, [process.execPath, LVS_VERIFY_BIN, ...args]);
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    timeout: 120_000,
    env: { XDG_STATE_HOME: lab.scratch, NO_COLOR: '1' },
  });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function check(report: DrainReport, id: CheckResult['id']): CheckResult {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in report: ${JSON.stringify(report.checks)}`);
  return c;
}

/** A one-line summary for assertion messages. */
export function summary(report: DrainReport): string {
  return report.checks.map((c) => `${c.id}=${c.status}: ${c.message}`).join('\n');
}
