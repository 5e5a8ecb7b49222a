import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DrainReport, runVerify, useBuiltinLab } from '@lvs-drain-kit/testkit';
import { describe, expect, it } from 'vitest';

const env = useBuiltinLab();

describe('drain-test --config FILE', () => {
  it('flags given too win over the file; what they do not name comes from the file', async () => {
    const file = join(env.stateDir, 'cluster.yaml');
    await writeFile(
      file,
      [
        `vip: ${env.lab.vip}`,
        'reals:',
        ...env.lab.reals.map((r) => `  - { address: "${r.address}", name: ${r.name} }`),
        `drain: ${env.lab.reals[0]!.address}`,
        `driver: { kind: builtin, control: "${env.lab.control}" }`,
        'hold: 60s',
        'interval: 100ms',
        'connections: 4',
        'newConnections: 5',
        '',
      ].join('\n'),
    );
    const r = await runVerify(
      ['drain-test', '--config', file, '--drain', 'rs2', '--hold', '400ms', '--connections', '6', '--json'],
      env.stateDir,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(report.drain.name).toBe('rs2');
    expect(report.servers.find((s) => s.drained)?.name).toBe('rs2');
    expect(report.settings).toMatchObject({ holdMs: 400, connections: 6, intervalMs: 100, newConnections: 5 });
    // The hold the flag asked for, not the file's minute.
    expect(report.durationMs).toBeLessThan(30_000);
    expect(await Promise.all(env.lab.reals.map((x) => env.lab.weight(x.address)))).toEqual([1, 1]);
  });
});
