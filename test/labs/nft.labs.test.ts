/** drain-test against an nftables kernel load balancer (DNAT via a numgen map, conntrack, masquerade). */
import { createDriver } from '@lvs-drain-kit/drivers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  check,
  drainInClient,
  expectOldConnectionsBroken,
  expectRestoreIgnored,
  sh,
  summary,
  useTestLab,
  verifyDrainTest,
  type WeightReader,
} from './support/lab-fixture.js';

const lab = useTestLab('nft');

/** Each real server's weight in the kernel: how many slots of the map hold its address. */
const weights: WeightReader = async () => {
  const { info } = lab();
  if (info.driver.kind !== 'nft') throw new Error('not an nft lab');
  const { netns, table, map } = info.driver;
  const listed = await sh(['ip', 'netns', 'exec', netns, 'nft', 'list', 'map', 'ip', table, map]);
  const slots = (host: string) =>
    listed.match(new RegExp(`: ${host.replaceAll('.', '\\.')}(?![\\d.])`, 'g'))?.length ?? 0;
  return Object.fromEntries(info.reals.map((r) => [r.name, slots(r.host)]));
};

afterEach(async () => {
  // Every real server back at weight 1, whatever a test did.
  const { info } = lab();
  const driver = await createDriver(info.driver);
  for (const r of info.reals) await driver.setWeight({ vip: info.vip }, r, 1);
});

describe('nft lab (nftables DNAT load balancer)', () => {
  it('passes a correct drain with the nft driver (the real lvs-verify binary): the map is rewritten and put back', async () => {
    const { code, report, stderr } = await verifyDrainTest(lab());
    expect(code, summary(report) + stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    const rs1 = report.servers.find((s) => s.name === 'rs1');
    expect([rs1?.weightBefore, rs1?.weightDuringDrain, rs1?.weightAfter]).toEqual([1, 0, 1]);
    // conntrack re-balances a SYN that reuses a closed flow's ports: no source-port trap here.
    expect(check(report, 'reused-source-port').status, summary(report)).toBe('pass');
    expect(await weights()).toEqual({ rs1: 1, rs2: 1 });
  });

  it('catches a drain that kills established flows (reset)', async () => {
    const report = await drainInClient(lab(), lab().info.driver, { breakage: 'nft-kill-established' });
    // The negative control's restore removed its reject rule and put rs1 back: only the old connections failed.
    expectOldConnectionsBroken(report, ['reset']);
  });

  it('catches a restore that does nothing: new connections, still answered, never return to rs1', async () => {
    const report = await drainInClient(lab(), lab().info.driver, { breakage: 'restore-noop' });
    expectRestoreIgnored(report);
    // Left drained by the broken driver: the map holds rs2 only.
    expect(await weights()).toEqual({ rs1: 0, rs2: 1 });
  });
});
