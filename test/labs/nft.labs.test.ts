import { formatHostPort } from '@lvs-drain-kit/common';
import type { DrainReport } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  check,
  drainInClient,
  QUICK_FLAGS,
  startTestLab,
  summary,
  type TestLab,
  verifyInClient,
} from './support/lab-fixture.js';

/** drain-test against an nftables kernel load balancer (DNAT via a numgen map, conntrack, masquerade). */
let lab: TestLab;

async function nftMap(): Promise<string> {
  if (lab.info.driver.kind !== 'nft') throw new Error('not an nft lab');
  const { netns, table, map } = lab.info.driver;
  return (await execa('ip', ['netns', 'exec', netns, 'nft', 'list', 'map', 'ip', table, map])).stdout;
}

beforeAll(async () => {
  lab = await startTestLab('nft');
});

afterAll(async () => {
  await lab?.down();
});

describe('nft lab (nftables DNAT load balancer)', () => {
  it('passes a correct drain with the nft driver (the real lvs-verify binary): the map is rewritten and put back', async () => {
    if (lab.info.driver.kind !== 'nft') throw new Error('not an nft lab');
    const d = lab.info.driver;
    const r = await verifyInClient(lab, [
      'drain-test',
      '--vip',
      formatHostPort(lab.info.vip),
      ...lab.info.reals.flatMap((x) => ['--real', `${formatHostPort(x)}=${x.name}`]),
      '--drain',
      'rs1',
      '--driver',
      'nft',
      '--nft-netns',
      d.netns,
      '--nft-table',
      d.table,
      '--nft-chain',
      d.chain,
      '--nft-map',
      d.map,
      '--json',
      ...QUICK_FLAGS,
    ]);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(r.code, summary(report) + r.stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    const rs1 = report.servers.find((s) => s.name === 'rs1');
    expect([rs1?.weightBefore, rs1?.weightDuringDrain, rs1?.weightAfter]).toEqual([1, 0, 1]);
    // conntrack re-balances a SYN that reuses a closed flow's ports: no source-port trap here.
    expect(check(report, 'reused-source-port').status, summary(report)).toBe('pass');
    expect(await nftMap()).toMatch(/198\.18\.0\.11/);
  });

  it('catches a drain that kills established flows (reset)', async () => {
    const report = await drainInClient(lab, lab.info.driver, { breakage: 'nft-kill-established' });
    const old = check(report, 'old-connections-survive');
    expect(old.status, summary(report)).toBe('fail');
    expect(old.failures.length).toBeGreaterThan(0);
    expect(new Set(old.failures.map((f) => f.class))).toEqual(new Set(['reset']));
    expect(old.failures.every((f) => f.server === 'rs1')).toBe(true);
    // The negative control's restore removed its reject rule and put rs1 back.
    expect(check(report, 'new-connections-return').status, summary(report)).toBe('pass');
  });

  it('catches a restore that does nothing: new connections never return', async () => {
    const report = await drainInClient(lab, lab.info.driver, { breakage: 'restore-noop' });
    expect(check(report, 'old-connections-survive').status, summary(report)).toBe('pass');
    expect(check(report, 'new-connections-return').status, summary(report)).toBe('fail');
    // Left drained by the broken driver: the map holds rs2 only.
    expect(await nftMap()).not.toMatch(/198\.18\.0\.11/);
  });
});
