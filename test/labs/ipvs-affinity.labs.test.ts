import { formatHostPort } from '@lvs-drain-kit/common';
import { createSerialTransport } from '@lvs-drain-kit/drivers';
import type { DrainReport } from '@lvs-drain-kit/verify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { check, startTestLab, summary, type TestLab, verifyDrainTest } from './support/lab-fixture.js';

/**
 * drain-test on real IPVS services that keep a client on one server — source hashing (sh) and
 * persistence (-p) — and with a second party changing the weight during the test. The lab comes up
 * with `sh -b sh-fallback` (the lab's own options), the persistence cases edit the service in the VM.
 */
let lab: TestLab;
let director: ReturnType<typeof createSerialTransport>;

async function vm(script: string): Promise<string> {
  const r = await director.run(['sh', '-c', script]);
  if (r.exitCode !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout;
}

const vip = () => formatHostPort(lab.info.vip);
const rs1 = () => formatHostPort(lab.info.reals[0]!);

/** The real lvs-verify in the client namespace, draining rs1; the report with a summary for messages. */
async function drainTest(extra: string[]): Promise<{ code: number | null; report: DrainReport; text: string }> {
  const r = await verifyDrainTest(lab, extra);
  return { ...r, text: `${summary(r.report)}\n${r.stderr}` };
}

async function weightOf(real: string): Promise<number> {
  const line = (await vm(`ipvsadm -L -n -t ${vip()}`)).split('\n').find((l) => l.includes(` ${real} `));
  return Number(line?.trim().split(/\s+/)[3]);
}

beforeAll(async () => {
  lab = await startTestLab('ipvs', { scheduler: 'sh', schedulerFlags: ['sh-fallback'] });
  if (lab.info.driver.kind !== 'ipvsadm') throw new Error('ipvs lab without an ipvsadm driver');
  director = createSerialTransport(lab.info.driver.director.slice('serial:'.length));
});

afterAll(async () => {
  await lab?.down();
});

afterEach(async () => {
  await vm('echo 0 > /proc/sys/net/ipv4/vs/expire_quiescent_template');
  for (const r of lab.info.reals) await vm(`ipvsadm -e -t ${vip()} -r ${formatHostPort(r)} -g -w 1`);
});

describe('ipvs lab: hashing and persistent services, the weight changed by someone else', () => {
  it('sh from one client address: exit 3 naming --source-range, nothing changed', async () => {
    expect(await vm(`ipvsadm -L -n -t ${vip()}`)).toMatch(/ sh /);
    const r = await drainTest([]);
    expect(r.code, r.text).toBe(3);
    expect(check(r.report, 'preflight').message).toMatch(/scheduler sh .*one client address.*--source-range/);
    expect(await weightOf(rs1())).toBe(1);
  });

  it('sh -b sh-fallback from the client namespace’s 30 addresses: PASS', async () => {
    const r = await drainTest(['--source-range', lab.info.clientSources!]);
    expect(r.code, r.text).toBe(0);
    expect(check(r.report, 'preflight').message).toContain('scheduler sh; 30 client addresses');
    expect(check(r.report, 'new-connections-avoid-drained').status).toBe('pass');
    expect(check(r.report, 'weight-unchanged').status).toBe('pass');
  });

  it('persistent (wrr -p 300): templates keep known clients on rs1 (warn, sysctl named) until expire_quiescent_template=1', async () => {
    await vm(`ipvsadm -E -t ${vip()} -s wrr -p 300`);
    try {
      const kept = await drainTest(['--source-range', lab.info.clientSources!]);
      expect(kept.code, kept.text).toBe(0);
      expect(check(kept.report, 'persistence-templates').status, kept.text).toBe('warn');
      expect(check(kept.report, 'persistence-templates').message).toContain('net.ipv4.vs.expire_quiescent_template=1');
      expect(check(kept.report, 'new-connections-avoid-drained').status).toBe('pass');

      await vm('echo 1 > /proc/sys/net/ipv4/vs/expire_quiescent_template');
      const moved = await drainTest(['--source-range', lab.info.clientSources!]);
      expect(moved.code, moved.text).toBe(0);
      expect(check(moved.report, 'persistence-templates').status, moved.text).toBe('pass');
    } finally {
      await vm(`ipvsadm -E -t ${vip()} -s sh -b sh-fallback`);
    }
  });

  it('someone sets weight 3 during the hold: weight-unchanged fails, the restore leaves 3, exit 4', async () => {
    const run = drainTest(['--source-range', lab.info.clientSources!, '--hold', '4s']);
    // The other party: waits (bounded) for the run's 0, then sets its own weight.
    let meddled = false;
    for (let i = 0; i < 300 && !meddled; i++) {
      if ((await weightOf(rs1())) === 0) {
        await vm(`ipvsadm -e -t ${vip()} -r ${rs1()} -g -w 3`);
        meddled = true;
      } else await new Promise((r) => setTimeout(r, 100));
    }
    const r = await run;
    expect(meddled).toBe(true);
    expect(r.code, r.text).toBe(4);
    expect(check(r.report, 'weight-unchanged').message).toMatch(/changed from 0 \(set by this run\) to 3/);
    expect(check(r.report, 'restore').message).toContain('left as it is');
    expect(await weightOf(rs1())).toBe(3);
  });
});
