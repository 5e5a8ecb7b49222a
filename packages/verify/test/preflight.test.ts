import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type DrainReport, runVerify, type SpawnedServer, spawnRsServer, useBuiltinLab } from '@lvs-drain-kit/testkit';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Setups drain-test cannot test are refused in preflight, before anything is changed: exit 3, the
 * reason on the preflight line, no drain command run, every weight as it was.
 */
const env = useBuiltinLab();
const extra: SpawnedServer[] = [];
afterAll(async () => {
  await Promise.all(extra.map((s) => s.stop()));
});

const address = (name: string) => env.lab.reals.find((r) => r.name === name)!.address;
/** drain-test through the lab's VIP with the builtin driver: `reals` and `drain` as given. */
const throughLab = (reals: string[], drain: string, ...more: string[]) =>
  runVerify(
    [
      'drain-test',
      '--vip',
      env.lab.vip,
      ...reals.flatMap((r) => ['--real', r]),
      '--drain',
      drain,
      '--driver',
      'builtin',
      '--control',
      env.lab.control,
      ...more,
    ],
    env.stateDir,
  );
const weights = async () => Promise.all(env.lab.reals.map((r) => env.lab.weight(r.address)));

describe('drain-test refuses in preflight', () => {
  it('two real servers that answer with the same name (replies could not tell them apart)', async () => {
    const twins = await Promise.all([
      spawnRsServer(['--name', 'twin'], '127.0.0.4'),
      spawnRsServer(['--name', 'twin'], '127.0.0.5'),
    ]);
    extra.push(...twins);
    const marker = join(env.stateDir, 'drain-ran');
    const r = await runVerify(
      [
        'drain-test',
        '--vip',
        env.lab.vip,
        ...twins.flatMap((t) => ['--real', `${t.host}:${t.port}`]),
        '--drain',
        `${twins[0]!.host}:${twins[0]!.port}`,
        '--driver',
        'command',
        '--drain-cmd',
        `touch '${marker}'`,
        '--restore-cmd',
        `touch '${marker}'`,
        '--restore-weight',
        '1',
      ],
      env.stateDir,
    );
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(
      new RegExp(
        `FAIL\\s+preflight\\s+real servers 127\\.0\\.0\\.4:${twins[0]!.port} and 127\\.0\\.0\\.5:${twins[1]!.port} both answer "twin"`,
      ),
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('a drain target the director does not have in the virtual service', async () => {
    const outsider = await spawnRsServer(['--name', 'rs3'], '127.0.0.6');
    extra.push(outsider);
    const where = `${outsider.host}:${outsider.port}`;
    const r = await throughLab([...env.lab.reals.map((x) => x.address), where], where);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(
      new RegExp(`FAIL\\s+preflight\\s+the director has no real server 127\\.0\\.0\\.6:${outsider.port} in service`),
    );
    expect(await weights()).toEqual([1, 1]);
  });

  it('a drain target already at weight 0: nothing to drain, and its weight is left at 0', async () => {
    await env.lab.setWeight(address('rs1'), 0);
    try {
      const r = await throughLab(
        env.lab.reals.map((x) => `${x.address}=${x.name}`),
        'rs1',
        '--json',
      );
      expect(r.code, r.stdout + r.stderr).toBe(3);
      const report = JSON.parse(r.stdout) as DrainReport;
      expect(report.verdict).toBe('error');
      expect(report.error?.beforeDrain).toBe(true);
      const preflight = report.checks.find((c) => c.id === 'preflight');
      expect(preflight?.status).toBe('fail');
      expect(preflight?.message).toContain('rs1 already has weight 0 on the director: there is nothing to drain');
      expect(report.checks.map((c) => c.id)).not.toContain('drain');
      expect(report.restore.attempted).toBe(false);
      expect(await weights()).toEqual([0, 1]);
      expect((await runVerify(['undo'], env.stateDir)).stdout).toContain('nothing to undo');
    } finally {
      await env.lab.setWeight(address('rs1'), 1);
    }
  });

  it('a drain target that is not one of the real servers', async () => {
    const r = await throughLab(
      env.lab.reals.map((x) => x.address),
      '127.0.0.9:2100',
    );
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/FAIL\s+preflight\s+drain target 127\.0\.0\.9:2100 is not one of the real servers/);
    expect(await weights()).toEqual([1, 1]);
  });
});
