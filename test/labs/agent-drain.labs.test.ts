/**
 * A server-initiated drain, proven end to end: the real lvs-verify binary runs drain-test with the
 * `agent` driver, which drains rs1 through its own rs-server (`ctl drain`), and a real HAProxy follows
 * rs1's agent-check (testkit's agent cluster, from examples/haproxy.cfg). Negative control: a director
 * that asks rs1's agent but also reaches rs1 through a second server line without agent-check must
 * make drain-test FAIL, naming new connections that reached rs1.
 */

import { type AgentCluster, runVerify, startAgentCluster, tempDir } from '@lvs-drain-kit/testkit';
import type { DrainReport } from '@lvs-drain-kit/verify';
import { afterEach, describe, expect, it } from 'vitest';
import { check, expectPassed, QUICK_FLAGS, summary } from './support/lab-fixture.js';

let cluster: AgentCluster | undefined;
let state: Awaited<ReturnType<typeof tempDir>> | undefined;

afterEach(async () => {
  await cluster?.stop();
  await state?.remove();
  cluster = undefined;
  state = undefined;
});

async function drainTest(c: AgentCluster): Promise<{ code: number | null; report: DrainReport; stderr: string }> {
  state = await tempDir('agent-drain-state-');
  const rs1 = c.servers.rs1!;
  const rs2 = c.servers.rs2!;
  const r = await runVerify(
    [
      'drain-test',
      ...['--vip', `${c.front.host}:${c.front.port}`],
      ...['--real', `127.0.0.1:${rs1.port}=rs1`, '--real', `127.0.0.1:${rs2.port}=rs2`],
      ...['--drain', 'rs1', '--driver', 'agent', '--agent-ctl', rs1.ctl, '--agent-wait', '5s', '--json'],
      ...QUICK_FLAGS,
    ],
    state.path,
    120_000,
  );
  return { code: r.code, report: JSON.parse(r.stdout) as DrainReport, stderr: r.stderr };
}

describe('drain-test --driver agent through a real HAProxy', () => {
  it('passes: rs1 drains itself, HAProxy follows, old connections survive, new ones avoid it, it comes back', async () => {
    cluster = await startAgentCluster();
    const { code, report, stderr } = await drainTest(cluster);
    expect(code, summary(report) + stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    expectPassed(report, [
      'old-connections-survive',
      'new-connections-avoid-drained',
      'restore',
      'new-connections-return',
    ]);
    // The run left rs1 as it found it: ready, and HAProxy has it UP.
    expect((await cluster.stat('rs1')).status).toBe('UP');
    await cluster.servers.rs1!.waitForRecord((r) => r.msg === 'state: ready' && r.by === 'ctl');
  });

  it('fails when the director keeps sending rs1 new connections through a line without agent-check', async () => {
    cluster = await startAgentCluster({ plainLineFor: 'rs1' });
    const { code, report, stderr } = await drainTest(cluster);
    expect(code, summary(report) + stderr).toBe(1);
    expect(report.verdict).toBe('fail');
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(failed, summary(report)).toEqual(['new-connections-avoid-drained']);
    expect(check(report, 'new-connections-avoid-drained').failures.every((f) => f.class === 'wrong-host')).toBe(true);
    expect((await cluster.stat('rs1')).status).toBe('UP'); // restored all the same
  });
});
