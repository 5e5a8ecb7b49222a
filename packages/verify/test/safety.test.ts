import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRunning, readProcessSync } from '@lvs-drain-kit/common';
import { type LabInfo, type LabState, readLabInfo } from '@lvs-drain-kit/lab';
import { LVS_VERIFY_BIN, runVerify, runVerifyJson, startVerify, tempDir } from '@lvs-drain-kit/testkit';
import { createDriver } from '@lvs-drain-kit/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** drain-test's cluster flags: the service, its real servers, and the first of them as the one to drain. */
const clusterFlags = (vip: string, reals: string[]) => [
  '--vip',
  vip,
  ...reals.flatMap((r) => ['--real', r]),
  '--drain',
  reals[0]!,
];

type BuiltinLabInfo = LabInfo & { driver: { kind: 'builtin' } };

let state: Awaited<ReturnType<typeof tempDir>>;
let lab: BuiltinLabInfo;
let target: string[];

/** rs1's weight as the lab director reports it (read in-process through the builtin driver). */
async function rs1Weight(): Promise<number | undefined> {
  const driver = await createDriver({ kind: 'builtin', control: lab.driver.control });
  return driver.getWeight({ vip: lab.vip }, lab.reals[0]!);
}
const rs1 = () => `${lab.reals[0]!.host}:${lab.reals[0]!.port}`;
/** The journal's entries; with none left the file is gone. */
const journalEntries = async () =>
  (
    JSON.parse(
      await readFile(join(state.path, 'lvs-drain-kit', 'journal.json'), 'utf8').catch(() => '{"entries":[]}'),
    ) as { entries: unknown[] }
  ).entries;

beforeAll(async () => {
  state = await tempDir();
  const up = await runVerify(['lab', 'up'], state.path);
  expect(up.code, up.stderr).toBe(0);
  lab = (await readLabInfo({ stateDir: join(state.path, 'lvs-drain-kit', 'lab-builtin') })) as BuiltinLabInfo;
  target = [
    'drain-test',
    '--vip',
    `${lab.vip.host}:${lab.vip.port}`,
    ...lab.reals.flatMap((r) => ['--real', `${r.host}:${r.port}=${r.name}`]),
    '--drain',
    'rs1',
  ];
});

afterAll(async () => {
  if (state) {
    await runVerify(['lab', 'down'], state.path);
    await state.remove();
  }
});

/** The command driver's flags: drain and restore as shell commands (`{weight}` filled in). */
const commandDriver = (drain: string, restore: string) => [
  '--driver',
  'command',
  '--drain-cmd',
  drain,
  '--restore-cmd',
  restore,
];

describe('never leave a server drained by accident', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s during the hold restores the weight', async (signal, code) => {
    const run = startVerify(
      [...target, '--driver', 'builtin', '--control', lab.driver.control, '--hold', '30s', '--interval', '100ms'],
      state.path,
    );
    await run.waitForStderr('holding');
    expect(await rs1Weight()).toBe(0);
    run.child.kill(signal);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout).toMatch(/PASS\s+restore/);
    expect(r.stdout).toContain(`InterruptedError: interrupted by ${signal}`);
    expect(await rs1Weight()).toBe(1);
    expect(await journalEntries()).toEqual([]);
  });

  it('`undo` leaves alone a drain whose verifier is still running', async () => {
    const run = startVerify(
      [...target, '--driver', 'builtin', '--control', lab.driver.control, '--hold', '30s'],
      state.path,
    );
    await run.waitForStderr('holding');
    const undo = await runVerify(['undo'], state.path);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain(`is still running that test`);
    expect(await rs1Weight()).toBe(0);
    run.child.kill('SIGINT');
    expect((await run.done).code).toBe(130);
    expect(await rs1Weight()).toBe(1);
  });

  it('--no-restore leaves the server drained, on the journal, for `undo`', async () => {
    const r = await runVerify(
      [
        ...target,
        '--driver',
        'builtin',
        '--control',
        lab.driver.control,
        '--hold',
        '300ms',
        '--interval',
        '100ms',
        '--no-restore',
      ],
      state.path,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /SKIP\s+restore\s+--no-restore: rs1 left at weight 0; `lvs-verify undo` or: lvs-verify lab ipvsadm/,
    );
    expect(await rs1Weight()).toBe(0);
    expect(await journalEntries()).toMatchObject([{ keptDrained: true, originalWeight: 1 }]);
    expect((await runVerify(['undo'], state.path)).code).toBe(0);
    expect(await rs1Weight()).toBe(1);
  });

  it('`undo` after a killed run (SIGKILL) restores the weight from the journal', async () => {
    const run = startVerify(
      [...target, '--driver', 'builtin', '--control', lab.driver.control, '--hold', '30s'],
      state.path,
    );
    await run.waitForStderr('holding');
    run.child.kill('SIGKILL');
    await run.done;
    expect(await rs1Weight()).toBe(0);
    expect(await journalEntries()).toHaveLength(1);

    const undo = await runVerify(['undo'], state.path);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toContain(`restored ${rs1()}`);
    expect(await rs1Weight()).toBe(1);
    expect(await journalEntries()).toEqual([]);
    const again = await runVerify(['undo'], state.path);
    expect(again.stdout).toContain('nothing to undo');
  });
});

describe('command driver (real commands through /bin/sh)', () => {
  // Drives the lab director through lvs-verify's own ipvsadm front end: a real program with real exit codes.
  const ipvsadm = () =>
    `${process.execPath} ${LVS_VERIFY_BIN} lab ipvsadm --control ${lab.driver.control} -- -e -t {vip}:{vport} -r {rip}:{rport} -w {weight}`;

  it('passes with working drain and restore commands', async () => {
    const r = await runVerify(
      [
        ...target,
        ...commandDriver(ipvsadm(), ipvsadm()),
        '--restore-weight',
        '1',
        '--hold',
        '1s',
        '--interval',
        '100ms',
      ],
      state.path,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS\s+new-connections-return/);
  });

  it('a restore command without {weight} needs no weight: no --get-cmd, no --restore-weight; the report names it', async () => {
    const restore = ipvsadm().replace('{weight}', '1');
    const { code, stdout, stderr, report } = await runVerifyJson(
      [...target, ...commandDriver(ipvsadm(), restore), '--hold', '500ms', '--interval', '100ms'],
      state.path,
    );
    expect(code, stdout + stderr).toBe(0);
    const ran = restore.replace('{vip}', lab.vip.host).replace('{vport}', String(lab.vip.port));
    const filled = ran.replace('{rip}', lab.reals[0]!.host).replace('{rport}', String(lab.reals[0]!.port));
    expect(report.checks.find((c) => c.id === 'restore')?.message).toBe(`the server put back (command: ${filled})`);
    expect(report.checks.find((c) => c.id === 'drain')?.message).toMatch(/^rs1 weight unknown → 0/);
    expect([report.drain.originalWeight, report.restore.weight, report.restore.manualCommand]).toEqual([
      undefined,
      undefined,
      filled,
    ]);
    expect(await rs1Weight()).toBe(1);
  });

  it('a restore that needs a weight nobody can read: exit 2 before a single connection is opened', async () => {
    const r = await runVerify(
      [
        'drain-test',
        // Nothing listens here: a connection attempt would end in exit 3, not 2.
        ...clusterFlags('127.0.0.1:1', ['127.0.0.1:2', '127.0.0.1:3']),
        ...commandDriver('true {weight}', 'lb-weight {rip} {weight}'),
      ],
      state.path,
    );
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain(
      'command: true {weight} cannot read the current weight and puts a weight back: give --restore-weight N (the weight to restore)',
    );
    expect(r.stdout).not.toMatch(/cannot reach real server/);
  });

  it('a failing drain command is an environment error (exit 3) with its exit code and stderr in the report', async () => {
    const { code, stderr, report } = await runVerifyJson(
      [
        ...target,
        ...commandDriver('echo "permission denied for {rip}" >&2; exit 7', ipvsadm()),
        '--restore-weight',
        '1',
      ],
      state.path,
    );
    expect(code, stderr).toBe(3);
    expect(report.verdict).toBe('error');
    const drain = report.checks.find((c) => c.id === 'drain')!;
    expect(drain.status).toBe('fail');
    expect(drain.message).toContain('exited with code 7');
    expect(report.error?.detail).toBe(`permission denied for ${lab.reals[0]!.host}`);
    expect(await rs1Weight()).toBe(1);
  });

  it('a failing restore is exit 4 and prints the exact command to run by hand', async () => {
    const r = await runVerify(
      [
        ...target,
        ...commandDriver(ipvsadm(), 'echo "director unreachable" >&2; exit 5'),
        '--restore-weight',
        '1',
        '--hold',
        '500ms',
        '--interval',
        '100ms',
      ],
      state.path,
    );
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toContain('RESTORE FAILED');
    expect(r.stdout).toContain('Run by hand: echo "director unreachable" >&2; exit 5');
    expect(await rs1Weight()).toBe(0);
    expect(await journalEntries()).toHaveLength(1);
    // Put it back the way the message says an operator would, then clear the journal for the next test.
    const fix = await runVerify(
      [
        'lab',
        'ipvsadm',
        '--control',
        lab.driver.control,
        '--',
        '-e',
        '-t',
        `${lab.vip.host}:${lab.vip.port}`,
        '-r',
        rs1(),
        '-w',
        '1',
      ],
      state.path,
    );
    expect(fix.code).toBe(0);
    await writeFile(join(state.path, 'lvs-drain-kit', 'journal.json'), '{"entries":[]}\n');
  });
});

describe('exit codes for bad input and a missing environment', () => {
  it('2: a bad flag value, one line on stderr', async () => {
    const r = await runVerify(
      ['drain-test', ...clusterFlags('nonsense', ['127.0.0.1:1', '127.0.0.1:2']), '--driver', 'ipvsadm'],
      state.path,
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('invalid address "nonsense"');
  });

  it('2: --driver manual without a terminal', async () => {
    const r = await runVerify([...target, '--driver', 'manual'], state.path);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--driver manual needs a terminal');
  });

  /** Runs drain-test on a config file holding `yaml`. */
  async function withConfig(name: string, yaml: string) {
    const file = join(state.path, name);
    await writeFile(file, yaml);
    return runVerify(['drain-test', '--config', file], state.path);
  }

  it('2: an invalid config file names every bad field', async () => {
    const r = await withConfig(
      'bad.yaml',
      'vip: 10.0.0.1\nreals: [10.0.0.2:80]\ndrain: 10.0.0.2:80\ndriver: {kind: ipvsadm, directr: x}\nhold: soon\n',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('vip: expected HOST:PORT');
    expect(r.stderr).toContain('reals: at least two real servers');
    expect(r.stderr).toContain('hold: expected a duration');
    expect(r.stderr).toContain('driver');
  });

  it('2: a duration without a unit in a config file (once 10 ms)', async () => {
    const r = await withConfig(
      'unitless.yaml',
      'vip: 10.0.0.1:80\nreals: [10.0.0.2:80, 10.0.0.3:80]\ndrain: 10.0.0.2:80\ndriver: {kind: ipvsadm}\nhold: 10\n',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'hold: expected a duration like 500ms, 5s: duration "10" has no unit: did you mean 10s?',
    );
  });

  it('a valid config file drives the same test', async () => {
    const file = join(state.path, 'cluster.yaml');
    await writeFile(
      file,
      [
        `vip: ${lab.vip.host}:${lab.vip.port}`,
        'reals:',
        ...lab.reals.map((r) => `  - { address: "${r.host}:${r.port}", name: ${r.name} }`),
        `drain: ${rs1()}`,
        `driver: { kind: builtin, control: "${lab.driver.control}" }`,
        'hold: 500ms',
        'interval: 100ms',
        '',
      ].join('\n'),
    );
    const r = await runVerify(['drain-test', '--config', file], state.path);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  // Each refused in preflight: exit 3, the reason on stdout, and the lab's rs1 left at its weight.
  it.each<[string, () => string[], RegExp | string, RegExp?]>([
    [
      'a UDP service, which drain-test cannot probe, refused before a connection (the driver itself drains it)',
      () => [
        'drain-test',
        ...clusterFlags('127.0.0.1:53', ['127.0.0.1:2', '127.0.0.1:3']),
        '--driver',
        'ipvsadm',
        '--ipvs-protocol',
        'udp',
        '--director',
        `builtin:${lab.driver.control}`,
      ],
      /FAIL\s+preflight\s+drain-test probes TCP only: it cannot test the UDP service 127\.0\.0\.1:53/,
      /cannot reach real server/,
    ],
    [
      'real servers that cannot be reached',
      () => [
        'drain-test',
        ...clusterFlags('127.0.0.1:9', ['127.0.0.1:9', '127.0.0.1:7']),
        '--driver',
        'builtin',
        '--control',
        '127.0.0.1:9',
      ],
      /FAIL\s+preflight\s+cannot reach real server 127\.0\.0\.1:9 directly/,
    ],
    [
      'a VIP nobody listens on (the driver reads nothing, the real servers answer)',
      () => [
        'drain-test',
        '--vip',
        '127.0.0.1:9',
        ...target.slice(3),
        ...commandDriver('true', 'true'),
        '--restore-weight',
        '1',
      ],
      'cannot connect to the VIP 127.0.0.1:9',
    ],
    [
      'a director control port that cannot be reached',
      () => [...target, '--driver', 'builtin', '--control', '127.0.0.1:9'],
      /FAIL\s+preflight\s+cannot read the director/,
    ],
    [
      '--driver ipvsadm where ipvsadm cannot run (not installed, or no IPVS in this kernel)',
      () => [...target, '--driver', 'ipvsadm'],
      /FAIL\s+preflight\s+cannot read the director \(ipvsadm via local\)/,
    ],
  ])('3: %s', async (_what, args, says, neverSays) => {
    const r = await runVerify(args(), state.path);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(says);
    if (neverSays) expect(r.stdout).not.toMatch(neverSays);
    expect(await rs1Weight()).toBe(1);
  });
});

describe('lab down', () => {
  it('stops every process `lab up` started, by recorded PID', async () => {
    const { processes } = JSON.parse(
      await readFile(join(state.path, 'lvs-drain-kit', 'lab-builtin', 'state.json'), 'utf8'),
    ) as LabState;
    expect(processes.map((p) => p.role).sort()).toEqual(['director', 'rs1', 'rs2']);
    const down = await runVerify(['lab', 'down'], state.path);
    expect(down.stdout).toMatch(
      /^builtin lab down: stopped director \(pid \d+\), rs\d \(pid \d+\), rs\d \(pid \d+\)$/m,
    );
    // Gone, or a zombie waiting for whoever is PID 1 here to reap it (its parent, `lab up`, has exited).
    expect(processes.filter((p) => isRunning(readProcessSync(p.pid)))).toEqual([]);
    expect((await runVerify(['lab', 'status'], state.path)).stdout).toContain('builtin lab: down');
  });
});
