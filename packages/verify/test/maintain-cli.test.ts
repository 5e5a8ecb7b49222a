import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseHostPort } from '@lvs-drain-kit/common';
import { runVerify, startVerify, tempDir, useBuiltinLab } from '@lvs-drain-kit/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { MaintainReport, ServerCommandReport } from '../src/report/maintain-types.js';

/**
 * lvs-verify maintain, drain and undrain as an operator runs them: the real binary against the builtin
 * lab (`lvs-verify lab up`), through its flags, a cluster file, --json, --junit and signals.
 */
const env = useBuiltinLab();
let scratch: Awaited<ReturnType<typeof tempDir>> | undefined;
const pinned: Socket[] = [];
afterEach(async () => {
  for (const s of pinned.splice(0)) s.destroy();
  for (const r of env.lab.reals) if ((await env.lab.weight(r.address)) !== 1) await env.lab.setWeight(r.address, 1);
  await scratch?.remove();
  scratch = undefined;
});

const cluster = () => [
  '--vip',
  env.lab.vip,
  ...env.lab.reals.flatMap((r) => ['--real', `${r.address}=${r.name}`]),
  '--driver',
  'builtin',
  '--control',
  env.lab.control,
];
const QUICK = ['--rate', '30', '--long-lived', '4', '--interval', '50ms', '--poll', '100ms', '--max-age', '2s'];
const address = (name: string) => env.lab.reals.find((r) => r.name === name)!.address;
const journal = async () => {
  const text = await readFile(join(env.stateDir, 'lvs-drain-kit', 'journal.json'), 'utf8').catch(() => '{}');
  return ((JSON.parse(text) as { entries?: Array<{ name?: string; keptDrained?: boolean }> }).entries ?? []).map(
    (e) => ({ name: e.name, keptDrained: e.keptDrained }),
  );
};

/** A client connection through the VIP that reached `name` and stays open. */
async function pin(name: string): Promise<void> {
  const vip = parseHostPort(env.lab.vip);
  for (let i = 0; i < 20; i++) {
    const s = connect(vip.port, vip.host);
    s.setEncoding('utf8');
    s.on('error', () => {});
    await once(s, 'connect');
    s.write('hello\n');
    const [reply] = (await once(s, 'data')) as [string];
    if (reply.includes(`host: ${name}`)) {
      pinned.push(s);
      return;
    }
    s.destroy();
  }
  throw new Error(`no connection reached ${name}`);
}

describe('lvs-verify maintain (real binary, builtin lab)', () => {
  it('a cluster file, --json and --junit: every server maintained, the work templated, no request failed', async () => {
    scratch = await tempDir();
    const config = join(scratch.path, 'cluster.yaml');
    // A file written for drain-test (drain, hold) serves maintain as it is.
    await writeFile(
      config,
      [
        `vip: ${env.lab.vip}`,
        'reals:',
        ...env.lab.reals.map((r) => `  - { address: ${r.address}, name: ${r.name} }`),
        `drain: ${address('rs1')}`,
        `driver: { kind: builtin, control: "${env.lab.control}" }`,
        'hold: 10s',
        'drainTimeout: 20s',
        'exec: echo "{name} at {rip}:{rport}"',
        '',
      ].join('\n'),
    );
    const junit = join(scratch.path, 'maintain.xml');
    const r = await runVerify(['maintain', '--config', config, ...QUICK, '--json', '--junit', junit], env.stateDir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as MaintainReport;
    expect(report.settings).toMatchObject({ drainTimeoutMs: 20_000, exec: 'echo "{name} at {rip}:{rport}"' });
    expect(report.servers.map((s) => [s.name, s.status, s.exec?.output])).toEqual([
      ['rs1', 'done', `rs1 at ${address('rs1')}\n`],
      ['rs2', 'done', `rs2 at ${address('rs2')}\n`],
    ]);
    expect(report.sampler.requests.failed).toBe(0);
    expect(r.stderr).toMatch(
      /rs1 +wait-empty +waiting until the director holds no active connection to rs1 \(timeout 20\.0s\)/,
    );
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain(`<testsuite name="lvs-verify maintain ${env.lab.vip} rs1"`);
    expect(xml).toMatch(
      /<testcase classname="maintain" name="requests"[^>]*>\s*<system-out><!\[CDATA\[0 of \d+ requests failed/,
    );
    expect(xml).not.toContain('<failure');
    expect(await journal()).toEqual([]);
  });

  it('the report for people: a row per server with its timeline, the steps, the requests, the verdict', async () => {
    const r = await runVerify(['maintain', ...cluster(), ...QUICK, '--only', 'rs2'], env.stateDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/│ rs2 +│ [\d.:]+ +│ done +│ \+[\d.]+s +│ [\d.]+m?s +│ — +│ [\d.]+m?s +│ \+[\d.]+s +│/);
    expect(r.stdout).toMatch(
      /rs2 +capacity ✓ · drain ✓ · wait-empty ✓ · exec – · healthy ✓ · restore ✓ · new-connections-return ✓/,
    );
    expect(r.stdout).toMatch(/requests \d+ sent, 0 failed/);
    expect(r.stdout).toMatch(/verdict {2}PASS {2}1 of 1 servers maintained and back; 0 of \d+ requests failed/);
  });

  it('refuses what it cannot do before anything changes: a bad placeholder (2), a driver that cannot count (3)', async () => {
    const typo = await runVerify(['maintain', ...cluster(), '--exec', 'restart {nmae}'], env.stateDir);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/--exec: unknown placeholder \{nmae\}: use \{name\} \{rip\}/);
    const command = await runVerify(
      [
        'maintain',
        '--vip',
        env.lab.vip,
        ...env.lab.reals.flatMap((r) => ['--real', `${r.address}=${r.name}`]),
        '--driver',
        'command',
        '--drain-cmd',
        'true',
        '--restore-cmd',
        'true',
        '--json',
      ],
      env.stateDir,
    );
    expect(command.code).toBe(3);
    expect((JSON.parse(command.stdout) as MaintainReport).error?.message).toMatch(
      /cannot read connection counts: maintain waits until a drained server is empty/,
    );
    expect([await env.lab.weight(address('rs1')), await env.lab.weight(address('rs2'))]).toEqual([1, 1]);
  });

  it('a host name that does not resolve: exit 3 before anything changes', async () => {
    const r = await runVerify(['maintain', ...cluster(), '--vip', 'nowhere.invalid:80'], env.stateDir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/cannot resolve "nowhere\.invalid"/);
    const drain = await runVerify(['drain', 'nowhere.invalid:80', ...cluster()], env.stateDir);
    expect(drain.code, drain.stderr).toBe(3);
    expect([await env.lab.weight(address('rs1')), await env.lab.weight(address('rs2'))]).toEqual([1, 1]);
  });

  it('SIGINT while a client keeps the server busy: it goes back first, exit 130', async () => {
    await pin('rs1');
    const run = startVerify(['maintain', ...cluster(), ...QUICK], env.stateDir);
    await run.waitForStderr('rs1                           1 remaining', 20_000);
    expect(await env.lab.weight(address('rs1'))).toBe(0);
    run.child.kill('SIGINT');
    const done = await run.done;
    expect(done.code, done.stderr).toBe(130);
    expect(done.stderr).toMatch(/SIGINT: stopping, restoring the drained server first/);
    expect(done.stdout).toMatch(/error {4}InterruptedError: interrupted by SIGINT/);
    expect(await env.lab.weight(address('rs1'))).toBe(1);
    expect(await journal()).toEqual([]);
  });
});

describe('lvs-verify drain --wait and undrain', () => {
  it('drain leaves the server drained and on the journal; undrain puts it back once it answers', async () => {
    const drain = await runVerify(['drain', 'rs1', '--wait', ...cluster(), '--poll', '100ms', '--json'], env.stateDir);
    expect(drain.code, drain.stderr).toBe(0);
    const d = JSON.parse(drain.stdout) as ServerCommandReport;
    expect(d.server.steps.map((k) => [k.id, k.status])).toEqual([
      ['capacity', 'pass'],
      ['drain', 'pass'],
      ['wait-empty', 'pass'],
    ]);
    expect(await env.lab.weight(address('rs1'))).toBe(0);
    expect(await journal()).toEqual([{ name: 'rs1', keptDrained: true }]);

    const undrain = await runVerify(['undrain', 'rs1', ...cluster()], env.stateDir);
    expect(undrain.code, undrain.stderr).toBe(0);
    expect(undrain.stdout).toMatch(/PASS {2}healthy +answered as rs1/);
    expect(undrain.stdout).toMatch(/PASS {2}new-connections-return +a new connection reached rs1/);
    expect(await env.lab.weight(address('rs1'))).toBe(1);
    expect(await journal()).toEqual([]);
  });

  it('drain --wait that times out puts the server back (exit 1); undrain with no drain to undo needs --weight (2)', async () => {
    await pin('rs2');
    const drain = await runVerify(['drain', 'rs2', '--wait', ...cluster(), '--drain-timeout', '500ms'], env.stateDir);
    expect(drain.code, drain.stdout).toBe(1);
    expect(drain.stdout).toMatch(/FAIL {2}wait-empty +not empty after 500ms: 1 remaining/);
    expect(await env.lab.weight(address('rs2'))).toBe(1);
    const undrain = await runVerify(['undrain', 'rs2', ...cluster()], env.stateDir);
    expect(undrain.code).toBe(2);
    expect(undrain.stdout).toMatch(/UsageError: the journal has no drain of rs2 in .*: give --weight N/);
  });
});
