import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRunning, readProcessSync } from '@lvs-drain-kit/common';
import { type DrainReport, runVerify, startVerify, tempDir } from '@lvs-drain-kit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The short timings every end-to-end run uses. */
const FAST = ['--hold', '1s', '--interval', '100ms', '--timeout', '1s', '--restore-timeout', '2s'];

let state: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  state = await tempDir();
});
afterAll(async () => {
  await state.remove();
});

/** Every check of a drain-test run, in report order. */
const CHECK_IDS = [
  'preflight',
  'spread',
  'drain',
  'old-connections-survive',
  'old-connections-no-stall',
  'new-connections-avoid-drained',
  'reused-source-port',
  'restore',
  'weight-unchanged',
  'new-connections-return',
  'identity-agrees',
];

describe('lvs-verify drain-test --lab (builtin lab)', () => {
  it('passes on a correct drain and prints a readable report', async () => {
    const r = await runVerify(['drain-test', '--lab', ...FAST], state.path);
    expect(r.stderr).toContain('hold');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verdict\s+PASS/);
    // Each check but reused-source-port must print PASS.
    for (const id of CHECK_IDS.filter((c) => c !== 'reused-source-port')) {
      expect(r.stdout).toMatch(new RegExp(`PASS\\s+${id}\\s`));
    }
    expect(r.stdout).toMatch(/rs1 \*/);
    expect(r.stdout).not.toContain('\u001b['); // NO_COLOR and not a terminal
  });

  it('--json prints one object with the documented fields; --junit writes one testcase per check', async () => {
    const junit = join(state.path, 'report.xml');
    const r = await runVerify(['drain-test', '--lab', ...FAST, '--json', '--junit', junit], state.path);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(report.verdict).toBe('pass');
    expect(report.checks.map((c) => c.id)).toEqual(CHECK_IDS);
    expect(report.driver.name).toBe('builtin');
    expect(report.director?.scheduler).toBe('wrr');
    const rs1 = report.servers.find((s) => s.name === 'rs1')!;
    expect(rs1.drained).toBe(true);
    expect(rs1.connectionsBefore).toBeGreaterThan(0);
    expect(rs1.connectionsAfter).toBe(rs1.connectionsBefore);
    expect(rs1.newConnections).toBe(0);
    expect(report.latency.rs1?.hold?.rtt?.count).toBeGreaterThan(0);
    expect(report.disruptions).toEqual([]);
    expect(Number.isNaN(Date.parse(report.startedAt))).toBe(false);
    expect(report.restore.restored).toBe(true);
    const xml = await readFile(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(CHECK_IDS.length);
    expect(xml).toContain('name="old-connections-survive"');
    expect(xml).not.toContain('<failure');
  });

  // Negative controls: the lab director misbehaves on purpose; each must be caught with the right check and class.
  // Lines go on through the drain command, so one may be in flight when the director acts: a connection
  // moved to another server mid-line loses that line's reply (a timeout) instead of showing the new host.
  const cases: Array<[string, string, string[] | undefined]> = [
    ['reset-old', 'old-connections-survive', ['reset']],
    ['hang-old', 'old-connections-survive', ['timeout']],
    ['close-old', 'old-connections-survive', ['closed']],
    ['reroute-old', 'old-connections-survive', ['wrong-host', 'timeout']],
    ['garble-old', 'old-connections-survive', ['garbled']],
    ['leak-new', 'new-connections-avoid-drained', ['wrong-host']],
    ['ignore-restore', 'new-connections-return', undefined],
  ];
  it.concurrent.each(cases)('misbehaviour %s fails %s (%s)', async (misbehave, checkId, cls) => {
    const r = await runVerify(
      [
        'drain-test',
        '--lab',
        '--lab-misbehave',
        misbehave,
        ...FAST,
        // The hold outlasts the timeout (a hung connection is seen), which leaves a loaded machine room.
        '--hold',
        '1500ms',
        '--timeout',
        '1s',
        '--restore-timeout',
        '1s',
        '--json',
      ],
      state.path,
    );
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(report.verdict).toBe('fail');
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.id)).toEqual([checkId]);
    if (cls) {
      const failures = failed[0]!.failures;
      expect(failures.length).toBeGreaterThan(0);
      expect(
        failures.every((f) => cls.includes(f.class)),
        JSON.stringify(failures),
      ).toBe(true);
      expect(failures.every((f) => f.server === 'rs1')).toBe(true);
      expect(report.disruptions.length).toBeGreaterThan(0);
    }
    if (checkId === 'new-connections-return') {
      // The director did answer after the restore, only never with rs1: not a director gone silent.
      const returned = Object.fromEntries(report.servers.map((s) => [s.name, s.returnedConnections]));
      expect(returned).toMatchObject({ rs1: 0, rs2: expect.any(Number) });
      expect(returned.rs2).toBeGreaterThan(0);
    }
  });

  it('a reused source port reaching the drained server warns, and fails under --strict', async () => {
    const warn = await runVerify(
      ['drain-test', '--lab', '--lab-misbehave', 'sticky-source-port', ...FAST, '--json'],
      state.path,
    );
    expect(warn.code, warn.stderr).toBe(0);
    const report = JSON.parse(warn.stdout) as DrainReport;
    const probe = report.checks.find((c) => c.id === 'reused-source-port')!;
    expect(probe.status).toBe('warn');
    expect(probe.message).toContain('conn_reuse_mode');
    expect(probe.failures[0]?.class).toBe('wrong-host');

    // The probe's hit is the reuse finding, not a failure of the drained server.
    const rs1 = report.servers.find((s) => s.name === 'rs1')!;
    expect(rs1.reusedPortConnections).toBe(1);
    expect(rs1.failures['wrong-host']).toBe(0);

    const strict = await runVerify(
      ['drain-test', '--lab', '--lab-misbehave', 'sticky-source-port', ...FAST, '--strict'],
      state.path,
    );
    expect(strict.code, strict.stdout).toBe(1);
    expect(strict.stdout).toMatch(/FAIL\s+reused-source-port/);
    const row = strict.stdout.split('\n').find((l) => l.includes('rs1 *'))!;
    expect(row).toMatch(/│ 0 \(\+1 reused port\) │/);
    expect(row).not.toMatch(/wrong-host/);
  });

  it('old connections blackholed for 1 s at the drain: a stall warning (exit 0); --strict fails (exit 1)', async () => {
    // Lines back to back, so one is in flight when the blackhole starts even on a loaded machine; a hold
    // past the blackhole's end, and a reply bound beyond it.
    const args = [
      'drain-test',
      '--lab',
      '--lab-misbehave',
      'blackhole-old',
      ...FAST,
      '--hold',
      '1500ms',
      '--interval',
      '10ms',
      '--timeout',
      '3s',
    ];
    const warn = await runVerify([...args, '--json'], state.path);
    expect(warn.code, warn.stderr).toBe(0);
    const report = JSON.parse(warn.stdout) as DrainReport;
    const stall = report.checks.find((c) => c.id === 'old-connections-no-stall')!;
    expect(stall.status).toBe('warn');
    expect(stall.failures.length).toBeGreaterThan(0);
    expect(stall.failures.every((f) => f.class === 'stall' && f.server === 'rs1')).toBe(true);
    expect(report.checks.find((c) => c.id === 'old-connections-survive')!.status).toBe('pass');

    const strict = await runVerify([...args, '--strict'], state.path);
    expect(strict.code, strict.stderr).toBe(1);
    expect(strict.stdout).toMatch(/FAIL\s+old-connections-no-stall\s+\d old connections? on rs1 stalled/);
    expect(strict.stdout).toMatch(/old#\d+ on rs1: stall at [+-]\d+ ms \(answered after \d+ ms/);
  });

  it('--max-leak sizes the new-connection sample and the report states what it would catch', async () => {
    const r = await runVerify(['drain-test', '--lab', ...FAST, '--max-leak', '10%'], state.path);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('29 new (sized for a 10% leak)');
    expect(r.stdout).toMatch(
      /PASS\s+new-connections-avoid-drained\s+0 of 29 new connections reached rs1: a leak of ≥ 9.9% would have been seen with 95% confidence/,
    );
    const given = await runVerify(['drain-test', '--lab', ...FAST, '--new-connections', '16', '--json'], state.path);
    const report = JSON.parse(given.stdout) as DrainReport;
    const avoid = report.checks.find((c) => c.id === 'new-connections-avoid-drained')!;
    expect(avoid.power).toMatchObject({ samples: 16, reached: 0, confidence: 0.95 });
    expect(avoid.power!.leak).toBeCloseTo(0.171, 3);
  });

  it.each([
    [['--hold', '5'], 'duration "5" has no unit: did you mean 5s?'],
    [['--interval', '200'], 'did you mean 200ms or 200s?'],
    [['--hold', '0'], '--hold 0ms is shorter than 3 intervals of 200ms'],
    [['--hold', '300ms'], '--hold 300ms is shorter than 3 intervals of 200ms'],
    [['--max-leak', '5'], 'percentage "5" has no % sign: did you mean 5%?'],
  ])('vacuous settings are usage errors before anything starts: %j', async (flags, message) => {
    const r = await runVerify(['drain-test', '--lab', ...flags], state.path);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('starting the builtin lab');
  });

  it('Ctrl-C at a terminal (SIGINT to the whole process group) still restores through the lab director', async () => {
    const run = startVerify(['drain-test', '--lab', '--hold', '30s', '--interval', '100ms'], state.path, 60_000, true);
    await run.waitForStderr('holding');
    process.kill(-run.child.pid!, 'SIGINT');
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toMatch(/PASS\s+restore\s+weight 1 put back/);
  });

  it('a verifier killed with SIGKILL leaves no lab process behind', async () => {
    const run = startVerify(['drain-test', '--lab', '--hold', '30s'], state.path);
    await run.waitForStderr('holding');
    const lab = childrenOf(run.child.pid!);
    expect(lab).toHaveLength(3);
    run.child.kill('SIGKILL');
    await run.done;
    const deadline = Date.now() + 5000;
    while (lab.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(lab.filter(running)).toEqual([]);
  });
});

/** PIDs whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => readProcessSync(Number(d))?.ppid === pid)
    .map(Number);
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  return isRunning(readProcessSync(pid));
}
