/**
 * What the real-engine lab tests share: a lab per test file, drain tests run from inside its client
 * namespace (through the verify library or the real lvs-verify binary), and the assertions that a
 * negative control was caught for the right reason.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverSpec } from '@lvs-drain-kit/drivers';
import { type LabEngine, type LabInfo, labDown, labExecArgv, labUp } from '@lvs-drain-kit/lab';
import { LVS_VERIFY_BIN, type RunningCli, startCli } from '@lvs-drain-kit/testkit';
import type { CheckId, CheckResult, DrainReport, FailureClass } from '@lvs-drain-kit/verify';
import { drainTestArgs } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
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
  ...['--connections', '6', '--new-connections', '8', '--hold', '2500ms', '--interval', '200ms'],
  ...['--timeout', '1s', '--restore-timeout', '5s'],
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

/** One lab for the tests of this file: up before the first, down after the last (also when they fail). */
export function useTestLab(engine: LabEngine): () => TestLab {
  let lab: TestLab | undefined;
  beforeAll(async () => {
    lab = await startTestLab(engine);
  });
  afterAll(async () => {
    await lab?.down();
  });
  return () => {
    if (!lab) throw new Error(`the ${engine} lab did not come up`);
    return lab;
  };
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

/** The real lvs-verify binary inside the client namespace, its journal in the lab's scratch dir. */
export function startVerifyInClient(lab: TestLab, args: string[]): RunningCli {
  return startCli(LVS_VERIFY_BIN, args, {
    prefix: labExecArgv(lab.info, []),
    env: { XDG_STATE_HOME: lab.scratch },
    timeoutMs: 120_000,
  });
}

export async function verifyInClient(lab: TestLab, args: string[]) {
  const r = await startVerifyInClient(lab, args).done;
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `lvs-verify drain-test --json` of the lab's first real server, with the flags of the lab's own driver
 * (as `lab up` prints them) and the quick timings; `extra` flags win.
 */
export async function verifyDrainTest(
  lab: TestLab,
  extra: string[] = [],
): Promise<{ code: number | null; report: DrainReport; stderr: string }> {
  const r = await verifyInClient(lab, drainTestArgs(lab.info, ['--json', ...QUICK_FLAGS, ...extra]));
  let report: DrainReport;
  try {
    report = JSON.parse(r.stdout) as DrainReport;
  } catch {
    throw new Error(`drain-test printed no JSON report (exit ${r.code}): ${r.stdout}${r.stderr}`);
  }
  return { code: r.code, report, stderr: r.stderr };
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

/** The ids of the checks that failed, in report order. */
export function failedChecks(report: DrainReport): CheckId[] {
  return report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
}

/**
 * A broken drain of rs1 was caught by old-connections-survive alone, every failure on rs1 and of one
 * of `classes`; the run still put rs1 back and new connections found it again.
 */
export function expectOldConnectionsBroken(report: DrainReport, classes: readonly FailureClass[]): void {
  expect(failedChecks(report), summary(report)).toEqual(['old-connections-survive']);
  expect(report.verdict).toBe('fail');
  const { failures } = check(report, 'old-connections-survive');
  expect(failures.length, summary(report)).toBeGreaterThan(0);
  expect(
    failures.filter((f) => !classes.includes(f.class) || f.server !== 'rs1'),
    `failures other than ${classes.join('/')} on rs1`,
  ).toEqual([]);
}

/**
 * A restore that did nothing was caught by new-connections-return alone — and not because the director
 * stopped answering: the new connections after the restore were answered, by rs2 only.
 */
export function expectRestoreIgnored(report: DrainReport): void {
  expect(failedChecks(report), summary(report)).toEqual(['new-connections-return']);
  expect(report.verdict).toBe('fail');
  const returned = Object.fromEntries(report.servers.map((s) => [s.name, s.returnedConnections]));
  expect(returned.rs1, summary(report)).toBe(0);
  expect(returned.rs2, summary(report)).toBeGreaterThan(0);
}

/** The weights a director has for its real servers, by name: read from the engine, not from a report. */
export type WeightReader = () => Promise<Record<string, number | undefined>>;

/**
 * The real lvs-verify in the client namespace, interrupted by SIGINT while it holds: the engine has rs1
 * at weight 0 then, and every weight as it was before the run once lvs-verify has exited 130.
 */
export async function expectSigintRestores(lab: TestLab, weights: WeightReader): Promise<void> {
  const before = await weights();
  expect(before.rs1).toBeGreaterThan(0);
  const run = startVerifyInClient(lab, drainTestArgs(lab.info, [...QUICK_FLAGS, '--hold', '60s']));
  try {
    await run.waitFor('stderr', 'holding', 60_000);
    expect(await weights()).toEqual({ ...before, rs1: 0 });
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(await weights()).toEqual(before);
  } finally {
    await run.stop();
  }
}

/** Runs `argv` on this host; its stdout (throws with stderr when it fails). */
export async function sh(argv: string[], input?: string): Promise<string> {
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, input });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: exit ${r.exitCode}: ${r.stderr}`);
  return String(r.stdout);
}
