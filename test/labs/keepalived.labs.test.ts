/**
 * keepalived owning a real IPVS Direct Routing director (the keepalived lab: Debian's keepalived in the
 * qemu VM). drain-test drains through keepalived's own file (weight, or track file) and passes, leaving
 * the file byte for byte as it was; the ipvsadm driver warns that keepalived owns the service; the trap
 * is reproduced for real — a weight set by hand with ipvsadm is put back by keepalived at the next
 * checker transition of that server (in the middle of a drain-test through the ipvsadm driver, which
 * reports the drift and leaves keepalived's weight, exit 4, not a leak), while a weight drained the keepalived way survives the same
 * transition; a file keepalived rejects stops the run before anything is changed (exit 3); and the lab's
 * HTTP service (nginx, a virtual server of its own) drains with --probe http, every connection's server
 * named alike by IPVS's connection table and the X-Served-By header.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { createKeepalivedDriver, createSerialTransport, flagsFromSpec } from '@lvs-drain-kit/drivers';
import { KEEPALIVED_CONF, labStatus, startLabRealServer, stopLabRealServer } from '@lvs-drain-kit/lab';
import type { DrainReport } from '@lvs-drain-kit/verify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  check,
  expectPassed,
  QUICK_FLAGS,
  startTestLab,
  summary,
  type TestLab,
  verifyInClient,
} from './support/lab-fixture.js';
import { serviceOf } from './support/service.js';

let lab: TestLab;
let vm: ReturnType<typeof createSerialTransport>;
/** The VM's serial channel, as `--director` takes it. */
let director: string;
let original: string;
let keepalivedPid: string;
const service = () => ({ vip: lab.info.vip });
const rs1 = () => lab.info.reals.find((r) => r.name === 'rs1')!;

async function inVm(script: string): Promise<string> {
  const r = await vm.run(['sh', '-c', script]);
  if (r.exitCode !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout;
}

/** rs1's weight in IPVS, as `ipvsadm -Ln` prints it. */
async function ipvsWeight(): Promise<number | undefined> {
  const line = (await inVm('ipvsadm -Ln')).split('\n').find((l) => l.includes(`-> ${formatHostPort(rs1())} `));
  return line ? Number(line.trim().split(/\s+/)[3]) : undefined;
}

/** Until `test` holds, checked every 200 ms, for at most `ms`; returns the last value seen. */
async function waitFor<T>(read: () => Promise<T>, test: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!test(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

const logLines = async () => (await inVm('cat /var/log/keepalived.log')).split('\n');

/** keepalived's log after its first `since` lines, once it says `text` (or after 15 s, whatever it says). */
const logSaying = (since: number, text: string) =>
  waitFor(
    async () => (await logLines()).slice(since).join('\n'),
    (t) => t.includes(text),
    15_000,
  );

async function drainTest(extra: string[] = [], driver = flagsFromSpec(lab.info.driver), info = lab.info) {
  const r = await verifyInClient(lab, [
    'drain-test',
    ...['--vip', formatHostPort(info.vip)],
    ...info.reals.flatMap((x) => ['--real', `${formatHostPort(x)}=${x.name}`]),
    ...['--drain', 'rs1', '--json'],
    ...driver,
    ...QUICK_FLAGS,
    ...extra,
  ]);
  return { ...r, report: JSON.parse(r.stdout) as DrainReport };
}

beforeAll(async () => {
  lab = await startTestLab('keepalived');
  if (lab.info.driver.kind !== 'keepalived') throw new Error('keepalived lab without a keepalived driver');
  director = lab.info.driver.director;
  vm = createSerialTransport(director.slice('serial:'.length));
  original = await inVm(`cat ${KEEPALIVED_CONF}`);
  keepalivedPid = (await inVm('cat /run/keepalived.pid')).trim();
});

afterAll(async () => {
  await lab?.down();
});

afterEach(async () => {
  // The lab's own file, track files at 0, rs1 running, and IPVS as keepalived wants it, whatever a test did.
  if (!lab.info) return;
  const now = await inVm(`cat ${KEEPALIVED_CONF}`);
  await inVm('echo 0 > /etc/keepalived/drain-rs1; echo 0 > /etc/keepalived/drain-rs2');
  if (now !== original) {
    await vm.run(['sh', '-c', `cat > ${KEEPALIVED_CONF} && kill -HUP "$(cat /run/keepalived.pid)"`], {
      input: original,
    });
  }
  if (!(await labStatus({ stateDir: lab.info.stateDir })).processes.some((p) => p.role === 'rs1')) {
    await startLabRealServer(lab.info.stateDir, 'rs1');
  }
  expect(await waitFor(ipvsWeight, (w) => w === 1, 15_000)).toBe(1);
});

describe('keepalived lab (keepalived owning IPVS DR in a qemu VM)', () => {
  it("lab status shows keepalived's view of each real server beside IPVS's", async () => {
    const status = await labStatus({ stateDir: lab.info.stateDir });
    expect(status.up).toBe(true);
    const text = status.director ?? '';
    expect(text).toContain(`keepalived: pid ${keepalivedPid}, /etc/keepalived/keepalived.conf`);
    expect(text).toMatch(
      /^ {2}rs1 198\.18\.0\.11:2100: weight in the file 1; keepalived's 1 \(loaded 1\); alive; TCP_CHECK up, FILE_CHECK drain_rs1 up \(file 0\)$/m,
    );
    expect(text).toMatch(/^IPVS \(ipvsadm -Ln\):\n(.*\n)* {4}-> 198\.18\.0\.11:2100\s+Route\s+1\s/m);
    expect(text).toMatch(/keepalived log \(latest\):/);
  });

  it('drain-test --driver keepalived passes; keepalived.conf is byte for byte as before, a backup kept, no restart', async () => {
    const { code, report, stderr } = await drainTest();
    expect(code, summary(report) + stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(report.driver.name).toBe('keepalived');
    expectPassed(report, [
      'drain',
      'old-connections-survive',
      'new-connections-avoid-drained',
      'restore',
      'new-connections-return',
    ]);
    expect(await inVm(`cat ${KEEPALIVED_CONF}`)).toBe(original);
    expect(await inVm(`cat ${KEEPALIVED_CONF}.lvs-drain-kit.bak`)).toBe(original);
    expect(await inVm(`ls ${KEEPALIVED_CONF}.lvs-drain-kit.new 2>/dev/null; true`)).toBe('');
    expect((await inVm('cat /run/keepalived.pid')).trim()).toBe(keepalivedPid);
    const log = await logLines();
    const changes = log.filter((l) => l.includes('Changing weight') && l.includes('[198.18.0.11]:tcp:2100'));
    expect(changes.slice(-2).map((l) => l.replace(/^.*: Changing/, 'Changing'))).toEqual([
      'Changing weight from 1 to 0 for active service [198.18.0.11]:tcp:2100 of VS [198.18.0.100]:tcp:2100',
      'Changing weight from 0 to 1 for active service [198.18.0.11]:tcp:2100 of VS [198.18.0.100]:tcp:2100',
    ]);
  });

  it('drain-test --driver keepalived --keepalived-track-file drain_rs1 passes without touching keepalived.conf', async () => {
    const reloads = (await logLines()).filter((l) => l.includes('Reloading ...')).length;
    const { code, report, stderr } = await drainTest(['--keepalived-track-file', 'drain_rs1']);
    expect(code, summary(report) + stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(check(report, 'restore').status).toBe('pass');
    expect(await inVm(`cat ${KEEPALIVED_CONF}`)).toBe(original);
    expect((await inVm('cat /etc/keepalived/drain-rs1')).trim()).toBe('0');
    const log = await logLines();
    expect(log.filter((l) => l.includes('Reloading ...')).length).toBe(reloads);
    expect(log.some((l) => l.includes('tracked file drain_rs1 now FAULT state'))).toBe(true);
  });

  it('--probe http: nginx drained through its own virtual_server in keepalived.conf, each connection attributed by ipvsadm -L -n -c and X-Served-By alike', async () => {
    const http = serviceOf(lab.info, 'http');
    const { code, report, stderr } = await drainTest(
      ['--probe', 'http', '--identity-header', 'X-Served-By', '--connections', '4', '--new-connections', '4'],
      flagsFromSpec(http.driver),
      http,
    );
    expect(code, summary(report) + stderr).toBe(0);
    expect(report.vip).toBe(formatHostPort(http.vip));
    expect(report.identity).toMatchObject({
      mode: 'both',
      director: 'ipvsadm -L -n -c of the keepalived director',
      service: 'header X-Served-By',
      disagreements: 0,
    });
    expect(report.identity!.crossChecked).toBeGreaterThanOrEqual(8);
    expect(check(report, 'identity-agrees').status).toBe('pass');
    expect(await inVm(`cat ${KEEPALIVED_CONF}`)).toBe(original);
    const vs = `of VS [198.18.0.100]:tcp:${http.vip.port}`;
    const changes = (await logLines()).filter((l) => l.includes('Changing weight') && l.includes(vs));
    expect(changes.slice(-2).map((l) => l.replace(/^.*: Changing/, 'Changing'))).toEqual([
      `Changing weight from 1 to 0 for active service [198.18.0.11]:tcp:${http.vip.port} ${vs}`,
      `Changing weight from 0 to 1 for active service [198.18.0.11]:tcp:${http.vip.port} ${vs}`,
    ]);
  });

  it('drain-test --driver ipvsadm warns in preflight that keepalived owns the service', async () => {
    const { code, report, stderr } = await drainTest([], ['--driver', 'ipvsadm', '--director', director]);
    expect(code, summary(report) + stderr).toBe(0);
    const warning = `keepalived (pid ${keepalivedPid}, /etc/keepalived/keepalived.conf) owns TCP 198.18.0.100:2100: a weight set with ipvsadm is put back by keepalived the next time it changes that server`;
    expect(report.director?.warnings?.some((w) => w.startsWith(warning))).toBe(true);
    expect(stderr).toContain(warning);
    expect(stderr).toContain('Drain through keepalived: --driver keepalived');
  });

  it('the trap: a weight set by hand with ipvsadm is put back by keepalived when rs1 goes down and comes back', async () => {
    const vip = formatHostPort(lab.info.vip);
    await inVm(`ipvsadm -e -t ${vip} -r ${formatHostPort(rs1())} -g -w 0`);
    expect(await ipvsWeight()).toBe(0);
    const before = (await logLines()).length;
    await stopLabRealServer(lab.info.stateDir, 'rs1');
    const failed = await logSaying(before, 'TCP_CHECK on service [198.18.0.11]:tcp:2100 failed.');
    expect(failed).toContain('Disabling service [198.18.0.11]:tcp:2100');
    await startLabRealServer(lab.info.stateDir, 'rs1');
    // Nobody touched IPVS since the manual 0: keepalived writes its own weight back.
    expect(await waitFor(ipvsWeight, (w) => w === 1, 15_000)).toBe(1);
    expect((await logLines()).slice(before).join('\n')).toContain('Enabling service [198.18.0.11]:tcp:2100');
  });

  it('the trap during a run: keepalived puts back the weight drain-test set with ipvsadm — drift, left as it is, exit 4, not a leak', async () => {
    const run = drainTest(['--hold', '12s'], ['--driver', 'ipvsadm', '--director', director]);
    try {
      // Once the run has drained rs1: a checker transition that keeps rs1's connections — its track
      // file fails (FILE_CHECK, inhibit_on_failure: weight 0) and recovers (keepalived's weight 1).
      expect(await waitFor(ipvsWeight, (w) => w === 0, 60_000)).toBe(0);
      const before = (await logLines()).length;
      await inVm('echo 1 > /etc/keepalived/drain-rs1');
      const failed = await logSaying(before, 'Disabling service [198.18.0.11]:tcp:2100');
      expect(failed).toContain('Disabling service [198.18.0.11]:tcp:2100');
      await inVm('echo 0 > /etc/keepalived/drain-rs1');
      expect(await waitFor(ipvsWeight, (w) => w === 1, 15_000)).toBe(1);
    } finally {
      await run.catch(() => undefined);
    }
    const { code, report, stderr } = await run;
    expect(code, summary(report) + stderr).toBe(4);
    expect(report.error).toMatchObject({ type: 'WeightDriftError', beforeDrain: false });
    expect(report.error?.message).toMatch(
      /^the weight of rs1 drifted during the run: the director reports 1, not the 0/,
    );
    expect(check(report, 'old-connections-survive').status, summary(report)).toBe('pass');
    expect(check(report, 'new-connections-avoid-drained').status, summary(report)).toBe('skip');
    expect(check(report, 'weight-unchanged').message).toMatch(/^rs1's weight changed from 0 \(set by this run\) to 1/);
    // The drift and the restore it stopped are the only failures: nothing blames the load balancer.
    expect(
      report.checks.filter((c) => c.status === 'fail').map((c) => c.id),
      summary(report),
    ).toEqual(['weight-unchanged', 'restore']);
    expect(check(report, 'restore').message).toContain('left as it is');
    expect(await ipvsWeight()).toBe(1);
    expect(stderr).toContain('owns TCP 198.18.0.100:2100');
  });

  it('drained the keepalived way, the weight survives the same transition', async () => {
    const driver = createKeepalivedDriver({ transport: vm });
    await driver.setWeight(service(), rs1(), 0);
    const before = (await logLines()).length;
    await stopLabRealServer(lab.info.stateDir, 'rs1');
    await logSaying(before, 'Disabling service [198.18.0.11]:tcp:2100');
    await startLabRealServer(lab.info.stateDir, 'rs1');
    const enabled = await logSaying(before, 'Enabling service [198.18.0.11]:tcp:2100');
    expect(enabled).toContain('Enabling service [198.18.0.11]:tcp:2100');
    expect(await ipvsWeight()).toBe(0);
    await driver.setWeight(service(), rs1(), 1);
    expect(await ipvsWeight()).toBe(1);
  });

  it('a keepalived.conf keepalived rejects: exit 3 with its words, the director untouched', async () => {
    const broken = original.replace('lb_algo wrr', 'lb_algo wrrr');
    await vm.run(['sh', '-c', `cat > ${KEEPALIVED_CONF}`], { input: broken });
    const reloads = (await logLines()).filter((l) => l.includes('Reloading ...')).length;
    const { code, report, stderr } = await drainTest();
    expect(code, stderr).toBe(3);
    expect(report.verdict).toBe('error');
    expect(report.error?.beforeDrain).toBe(true);
    expect(report.error?.message).toMatch(
      /does not pass keepalived --config-test as it is, so no edit of it can be tested \(nothing was changed\): .*Invalid lvs_scheduler 'wrrr'/,
    );
    expect(check(report, 'preflight').status).toBe('fail');
    expect(await inVm(`cat ${KEEPALIVED_CONF}`)).toBe(broken);
    expect(await ipvsWeight()).toBe(1);
    expect((await inVm('cat /run/keepalived.pid')).trim()).toBe(keepalivedPid);
    expect((await logLines()).filter((l) => l.includes('Reloading ...')).length).toBe(reloads);
  });
});
