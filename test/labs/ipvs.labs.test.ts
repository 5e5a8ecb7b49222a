import { formatHostPort } from '@lvs-drain-kit/common';
import { createSerialTransport } from '@lvs-drain-kit/drivers';
import type { DrainReport } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  check,
  drainInClient,
  QUICK_FLAGS,
  startTestLab,
  summary,
  type TestLab,
  verifyInClient,
} from './support/lab-fixture.js';

/**
 * drain-test against a real IPVS director (Debian kernel under qemu) in Direct Routing mode:
 * the correct drain passes, broken ones fail with the right check and failure class.
 */
let lab: TestLab;
let director: ReturnType<typeof createSerialTransport>;
const spec = () => lab.info.driver;

async function vm(script: string): Promise<string> {
  const r = await director.run(['sh', '-c', script]);
  if (r.exitCode !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout;
}

const sysctl = (name: string, value: number) => vm(`echo ${value} > /proc/sys/net/ipv4/vs/${name}`);

beforeAll(async () => {
  lab = await startTestLab('ipvs');
  if (lab.info.driver.kind !== 'ipvsadm') throw new Error('ipvs lab without an ipvsadm driver');
  director = createSerialTransport(lab.info.driver.director.slice('serial:'.length));
});

afterAll(async () => {
  await lab?.down();
});

afterEach(async () => {
  // Kernel defaults back, and every real server at weight 1, whatever a test did.
  await sysctl('expire_nodest_conn', 0);
  await sysctl('conn_reuse_mode', 1);
  const vip = formatHostPort(lab.info.vip);
  for (const r of lab.info.reals) {
    const rip = formatHostPort(r);
    await vm(`ipvsadm -e -t ${vip} -r ${rip} -g -w 1 2>/dev/null || ipvsadm -a -t ${vip} -r ${rip} -g -w 1`);
  }
});

type NftExpr = { match?: { left?: { meta?: { key?: string } }; right?: unknown }; counter?: { packets: number } };
type NftJson = { nftables: Array<{ rule?: { expr: NftExpr[] } }> };

/** Packet counters on the bridge for replies (from VIP:PORT) by the port they came in on. */
async function countRepliesByBridgePort(): Promise<() => Promise<Record<string, number>>> {
  const ns = `ldk-${lab.info.id}-br`;
  const from = `ip saddr ${lab.info.vip.host} tcp sport ${lab.info.vip.port}`;
  const ports = ['tap0', ...lab.info.reals.map((r) => `v-${r.name}`)];
  const rules = ports.map((p) => `    iifname "${p}" ${from} counter`).join('\n');
  await execa('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
    input: `table bridge ldk_dr {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n${rules}\n  }\n}\n`,
  });
  return async () => {
    const { stdout } = await execa('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'table', 'bridge', 'ldk_dr']);
    const counts: Record<string, number> = {};
    for (const o of (JSON.parse(stdout) as NftJson).nftables) {
      if (!o.rule) continue;
      const port = String(o.rule.expr.find((e) => e.match?.left?.meta?.key === 'iifname')?.match?.right);
      counts[port] = o.rule.expr.find((e) => e.counter)?.counter?.packets ?? Number.NaN;
    }
    return counts;
  };
}

describe('ipvs lab (IPVS Direct Routing in a qemu VM)', () => {
  it('passes a correct drain (the real lvs-verify binary), and the replies bypass the director (DR)', async () => {
    const replies = await countRepliesByBridgePort();
    const r = await verifyInClient(lab, [
      'drain-test',
      '--vip',
      formatHostPort(lab.info.vip),
      ...lab.info.reals.flatMap((x) => ['--real', `${formatHostPort(x)}=${x.name}`]),
      '--drain',
      'rs1',
      '--driver',
      'ipvsadm',
      '--director',
      (spec() as { director: string }).director,
      '--json',
      ...QUICK_FLAGS,
    ]);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(r.code, summary(report) + r.stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(report.director?.kernel).toMatch(/^6\.\d+.*amd64$/);
    expect(report.director?.servers.every((s) => s.forwarding === 'Route')).toBe(true);
    for (const id of ['old-connections-survive', 'new-connections-avoid-drained', 'new-connections-return'] as const) {
      expect(check(report, id).status, id).toBe('pass');
    }
    const counts = await replies();
    // Direct Routing: every reply went from a real server straight to the client, none through the VM.
    expect(counts.tap0).toBe(0);
    expect((counts['v-rs1'] ?? 0) + (counts['v-rs2'] ?? 0)).toBeGreaterThan(50);
    expect(counts['v-rs1']).toBeGreaterThan(0);
  });

  it('catches ipvsadm -d with expire_nodest_conn=0: old connections hang (timeout)', async () => {
    await sysctl('expire_nodest_conn', 0);
    const report = await drainInClient(lab, spec(), { breakage: 'ipvs-delete' });
    const old = check(report, 'old-connections-survive');
    expect(old.status, summary(report)).toBe('fail');
    expect(old.failures.length).toBeGreaterThan(0);
    expect(new Set(old.failures.map((f) => f.class))).toEqual(new Set(['timeout']));
    expect(old.failures.every((f) => f.server === 'rs1')).toBe(true);
    expect(report.verdict).toBe('fail');
  });

  it('catches ipvsadm -d with expire_nodest_conn=1: old connections are reset or closed', async () => {
    await sysctl('expire_nodest_conn', 1);
    const report = await drainInClient(lab, spec(), { breakage: 'ipvs-delete' });
    const old = check(report, 'old-connections-survive');
    expect(old.status, summary(report)).toBe('fail');
    expect(old.failures.length).toBeGreaterThan(0);
    const classes = new Set(old.failures.map((f) => f.class));
    expect(
      [...classes].every((c) => c === 'reset' || c === 'closed'),
      [...classes].join(),
    ).toBe(true);
    expect(old.failures.every((f) => f.server === 'rs1')).toBe(true);
  });

  it('catches a restore that does nothing: new connections never return', async () => {
    const report = await drainInClient(lab, spec(), { breakage: 'restore-noop' });
    expect(check(report, 'old-connections-survive').status, summary(report)).toBe('pass');
    expect(check(report, 'new-connections-return').status, summary(report)).toBe('fail');
    expect(report.verdict).toBe('fail');
  });

  it('reused source port: conn_reuse_mode=0 sends the reconnect to the drained server; 3 does not', async () => {
    await sysctl('conn_reuse_mode', 0);
    const reuse0 = await drainInClient(lab, spec(), {
      options: { ...(await import('./support/lab-fixture.js')).QUICK, strict: true },
    });
    const probe0 = check(reuse0, 'reused-source-port');
    expect(probe0.status, summary(reuse0)).toBe('fail');
    expect(probe0.failures[0]?.class).toBe('wrong-host');
    expect(check(reuse0, 'new-connections-avoid-drained').status).toBe('pass');

    await sysctl('conn_reuse_mode', 3);
    const reuse3 = await drainInClient(lab, spec(), {
      options: { ...(await import('./support/lab-fixture.js')).QUICK, strict: true },
    });
    expect(check(reuse3, 'reused-source-port').status, summary(reuse3)).toBe('pass');
    expect(reuse3.verdict).toBe('pass');
  });
});
