/**
 * What the real-engine lab tests share: a lab per test file, drain tests run from inside its client
 * namespace (through the verify library or the real lvs-verify binary), and the assertions that a
 * negative control was caught for the right reason.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHostPort } from '@lvs-drain-kit/common';
import { createDirectorTransport, createDriver, type DriverSpec, haproxyCommand } from '@lvs-drain-kit/drivers';
import { type LabEngine, type LabInfo, type LabUpOptions, labDown, labExecArgv, labUp } from '@lvs-drain-kit/lab';
import { LVS_VERIFY_BIN, type RunningCli, startCli } from '@lvs-drain-kit/testkit';
import type { CheckId, CheckResult, DrainReport, FailureClass } from '@lvs-drain-kit/verify';
import { drainTestArgs } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Breakage } from './broken-drivers.js';
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

/** A lab in its own state dir (not the user's), with a scratch dir for journals; `setup`: its scheduler and such. */
export async function startTestLab(
  engine: LabEngine,
  setup: Pick<LabUpOptions, 'scheduler' | 'persistent' | 'schedulerFlags'> = {},
): Promise<TestLab> {
  const scratch = await mkdtemp('/tmp/ldk-labs-test-');
  const stateDir = join(scratch, 'state');
  const down = async () => {
    await labDown({ stateDir });
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    const info = await labUp({ engine, stateDir, ...setup });
    return { info, scratch, down };
  } catch (err) {
    await down();
    throw err;
  }
}

/** The lab of a test file, once it is up. */
export type LabRef = (() => TestLab) & { engine: LabEngine };

/** One lab for the tests of this file: up before the first, down after the last (also when they fail). */
export function useTestLab(engine: LabEngine): LabRef {
  let lab: TestLab | undefined;
  beforeAll(async () => {
    lab = await startTestLab(engine);
  });
  afterAll(async () => {
    await lab?.down();
  });
  const ref = () => {
    if (!lab) throw new Error(`the ${engine} lab did not come up`);
    return lab;
  };
  return Object.assign(ref, { engine });
}

/** One drain test through the verify library inside the client namespace; the report it printed. */
export async function drainInClient(
  lab: TestLab,
  driverSpec: DriverSpec,
  extra: Partial<Omit<DrainJob, 'info' | 'driverSpec' | 'journalPath'>> = {},
  /** How long the whole run may take (a run of hundreds of connections takes minutes on the IPVS VM). */
  runTimeoutMs = 120_000,
): Promise<DrainReport> {
  const job: DrainJob = {
    info: lab.info,
    driverSpec,
    journalPath: join(lab.scratch, `journal-${Date.now()}.json`),
    options: QUICK,
    ...extra,
  };
  const argv = labExecArgv(lab.info, [process.execPath, '--import', 'tsx', DRAIN_IN_CLIENT, JSON.stringify(job)]);
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: runTimeoutMs });
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

/** Each of these checks passed (the report's summary in the message when one did not). */
export function expectPassed(report: DrainReport, ids: readonly CheckId[]): void {
  for (const id of ids) expect(check(report, id).status, summary(report)).toBe('pass');
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
    failures.filter((f) => !classes.some((c) => c === f.class) || f.server !== 'rs1'),
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

/** Runs `argv` on this host; its stdout (throws with stderr when it fails). */
export async function sh(argv: string[], input?: string): Promise<string> {
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, input });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: exit ${r.exitCode}: ${r.stderr}`);
  return String(r.stdout);
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The weight the director has for each real server, by name, read from the engine itself (never from a
 * report, nor through the driver under test): IPVS's table in the VM, the slots of the nft map, HAProxy's
 * runtime API. Undefined: the server is not there.
 */
export async function weightsOnDirector(lab: TestLab): Promise<Record<string, number | undefined>> {
  const { info } = lab;
  const d = info.driver;
  const byName = async (weight: (r: { host: string; port: number; name: string }) => Promise<number | undefined>) =>
    Object.fromEntries(await Promise.all(info.reals.map(async (r) => [r.name, await weight(r)] as const)));
  switch (d.kind) {
    case 'ipvsadm': {
      const r = await (await createDirectorTransport(d.director)).run([
        'ipvsadm',
        '-L',
        '-n',
        '-t',
        formatHostPort(info.vip),
      ]);
      if (r.exitCode !== 0) throw new Error(`ipvsadm in the VM: ${r.stderr}`);
      return byName(async (real) => {
        const m = new RegExp(`-> ${literal(formatHostPort(real))}\\s+\\S+\\s+(\\d+)`).exec(r.stdout);
        return m ? Number(m[1]) : undefined;
      });
    }
    case 'nft': {
      const listed = await sh(['ip', 'netns', 'exec', d.netns, 'nft', 'list', 'map', d.family, d.table, d.map]);
      return byName(async (real) => listed.match(new RegExp(`: ${literal(real.host)}(?![\\d.])`, 'g'))?.length ?? 0);
    }
    case 'haproxy':
      return byName(async (real) => {
        const answer = await haproxyCommand(d.socket, `get weight ${d.backend}/${real.name}`);
        return /^\d+/.test(answer) ? Number.parseInt(answer, 10) : undefined;
      });
    default:
      throw new Error(`no way to read the weights of a ${d.kind} director`);
  }
}

/** Every real server back at weight 1 through the lab's own driver, whatever a test did. */
export async function resetWeights(lab: TestLab): Promise<void> {
  const { info } = lab;
  const driver = await createDriver(info.driver);
  for (const r of info.reals) await driver.setWeight({ vip: info.vip }, r, 1);
}

/** What differs between engines in the tests every engine gets. */
export interface EngineCase {
  /** What the correct drain's reused-source-port probe gets on this engine. */
  reusedSourcePort: 'pass' | 'warn';
  /** Runs before the correct drain; what it returns checks that run's report further. */
  correctDrain?: () => Promise<(report: DrainReport) => Promise<void> | void>;
  /** Careless drains of this engine, and the only failure classes their old connections may show. */
  brokenDrains: Array<{ title: string; breakage: Breakage; classes: FailureClass[]; before?: () => Promise<unknown> }>;
  /** Puts every weight (and setting) back after each test; default: weight 1 through the lab's driver. */
  reset?: () => Promise<void>;
}

/**
 * The tests every engine gets, judged by the report and by the weights read from the director:
 * - a correct drain of rs1 with the real lvs-verify binary and the lab's own driver flags: exit 0, rs1's
 *   weight 1 → 0 → 1, every weight on the director as before, the reused-source-port probe as the
 *   engine answers it;
 * - each careless drain is caught by old-connections-survive alone, with the engine's failure classes;
 * - a restore that does nothing is caught (and rs1 is indeed left at 0);
 * - SIGINT during the hold puts rs1's weight back before lvs-verify exits 130.
 */
export function engineTests(lab: LabRef, c: EngineCase): void {
  afterEach(c.reset ?? (() => resetWeights(lab())));

  it(`passes a correct drain through the ${lab.engine} lab's own driver (the real lvs-verify binary); reused-source-port: ${c.reusedSourcePort}`, async () => {
    const more = await c.correctDrain?.();
    const before = await weightsOnDirector(lab());
    const { code, report, stderr } = await verifyDrainTest(lab());
    expect(code, summary(report) + stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    const rs1 = report.servers.find((s) => s.name === 'rs1');
    expect([rs1?.weightBefore, rs1?.weightDuringDrain, rs1?.weightAfter]).toEqual([1, 0, 1]);
    const reuse = check(report, 'reused-source-port');
    expect(reuse.status, summary(report)).toBe(c.reusedSourcePort);
    expect(reuse.failures.map((f) => [f.class, f.server])).toEqual(
      c.reusedSourcePort === 'warn' ? [['wrong-host', 'rs1']] : [],
    );
    expect(await weightsOnDirector(lab())).toEqual(before);
    await more?.(report);
  });

  for (const broken of c.brokenDrains) {
    it(`catches ${broken.title}`, async () => {
      await broken.before?.();
      const report = await drainInClient(lab(), lab().info.driver, { breakage: broken.breakage });
      expectOldConnectionsBroken(report, broken.classes);
    });
  }

  it('catches a restore that does nothing: new connections, still answered, never return to rs1', async () => {
    const report = await drainInClient(lab(), lab().info.driver, { breakage: 'restore-noop' });
    expectRestoreIgnored(report);
    expect((await weightsOnDirector(lab())).rs1).toBe(0);
  });

  it('SIGINT during the hold: rs1 is at weight 0 on the director, and back before lvs-verify exits 130', async () => {
    const before = await weightsOnDirector(lab());
    expect(before.rs1).toBeGreaterThan(0);
    const run = startVerifyInClient(lab(), drainTestArgs(lab().info, [...QUICK_FLAGS, '--hold', '60s']));
    try {
      await run.waitFor('stderr', 'holding', 60_000);
      expect(await weightsOnDirector(lab())).toEqual({ ...before, rs1: 0 });
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.code, r.stdout + r.stderr).toBe(130);
      expect(await weightsOnDirector(lab())).toEqual(before);
    } finally {
      await run.stop();
    }
  });
}
