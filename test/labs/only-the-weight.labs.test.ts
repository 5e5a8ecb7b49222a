/**
 * A run changes the one weight it owns and nothing else, on the real engines: IPVS keeps a tunnel's type,
 * port and checksum and a NAT server's method and port across a drain and its restore; nftables keeps a
 * jhash balancer's expression and leaves a chain it does not fully understand untouched; HAProxy drains
 * the server it is told to, never a neighbour on the same address.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatHostPort } from '@lvs-drain-kit/common';
import {
  createDriver,
  createSerialTransport,
  type DriverSpec,
  haproxyCommand,
  parseIpvsadmList,
} from '@lvs-drain-kit/drivers';
import { haproxyDriverFlags } from '@lvs-drain-kit/testkit';
import { type DrainReport, Journal, undoDrains } from '@lvs-drain-kit/verify';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, QUICK_FLAGS, startTestLab, summary, type TestLab, verifyInClient } from './support/lab-fixture.js';

/** drain-test's cluster flags for a lab (real servers named as the lab names them). */
const cluster = (lab: TestLab) => [
  'drain-test',
  '--vip',
  formatHostPort(lab.info.vip),
  ...lab.info.reals.flatMap((x) => ['--real', `${formatHostPort(x)}=${x.name}`]),
  '--drain',
  'rs1',
  ...QUICK_FLAGS,
];

describe('IPVS (real kernel in the lab VM): -e repeats what it is not asked to change', () => {
  let lab: TestLab;
  let vm: ReturnType<typeof createSerialTransport>;
  let spec: DriverSpec & { kind: 'ipvsadm'; director: string };
  const sh = async (script: string) => {
    const r = await vm.run(['sh', '-c', script]);
    if (r.exitCode !== 0) throw new Error(`${script}: ${r.stderr}`);
    return r.stdout;
  };
  /** Every setting of every service and real server, without the connection counters. */
  const table = async () => {
    const withTunnels = parseIpvsadmList(await sh('ipvsadm -L -n --tun-info'));
    const thresholds = parseIpvsadmList(await sh('ipvsadm -L -n --thresholds'));
    return withTunnels.map((s, i) => ({
      ...s,
      servers: s.servers.map(({ activeConn: _a, inactConn: _i, ...d }, j) => ({
        ...d,
        upperThreshold: thresholds[i]?.servers[j]?.upperThreshold,
        lowerThreshold: thresholds[i]?.servers[j]?.lowerThreshold,
      })),
    }));
  };
  const tunnelVip = () => ({ host: lab.info.vip.host, port: 2200 });
  const line = async (service: string, real: string) =>
    (await sh(`ipvsadm -L -n --tun-info ${service}`))
      .split('\n')
      .find((l) => l.includes(`-> ${real} `))
      ?.trim();

  beforeAll(async () => {
    lab = await startTestLab('ipvs');
    if (lab.info.driver.kind !== 'ipvsadm') throw new Error('ipvs lab without an ipvsadm driver');
    spec = lab.info.driver;
    vm = createSerialTransport(spec.director.slice('serial:'.length));
    const v = lab.info.vip.host;
    // A second service beside the lab's: tunnels of every type (GUE on a non-default port) and NAT to
    // another port, with thresholds; a firewall-mark service and a UDP one.
    await sh(
      [
        `ipvsadm -A -t ${v}:2200 -s wrr`,
        `ipvsadm -a -t ${v}:2200 -r 198.18.0.11:2200 -i --tun-type gue --tun-port 6080 --tun-csum -w 3 -x 40 -y 5`,
        `ipvsadm -a -t ${v}:2200 -r 198.18.0.12:8080 -m -w 2`,
        `ipvsadm -a -t ${v}:2200 -r 198.18.0.13:2200 -i --tun-type gre --tun-csum -w 1`,
        `ipvsadm -a -t ${v}:2200 -r 198.18.0.14:2200 -i -w 4`,
        'ipvsadm -A -f 7 -s wrr',
        'ipvsadm -a -f 7 -r 198.18.0.11 -g -w 2',
        `ipvsadm -A -u ${v}:2153 -s rr`,
        `ipvsadm -a -u ${v}:2153 -r 198.18.0.12:53 -m -w 5`,
      ].join(' && '),
    );
  });

  afterAll(async () => {
    await lab?.down();
  });

  it('a GUE tunnel server keeps type, port, checksum and thresholds through drain and restore (read with --tun-info)', async () => {
    const before = await table();
    const rs = { host: '198.18.0.11', port: 2200 };
    const driver = await createDriver(spec);
    expect(await line(`-t ${lab.info.vip.host}:2200`, '198.18.0.11:2200')).toMatch(
      /^-> \S+\s+Tunnel\s+gue:6080:\+c\s+3 /,
    );
    await driver.setWeight({ vip: tunnelVip() }, rs, 0);
    expect(await line(`-t ${lab.info.vip.host}:2200`, '198.18.0.11:2200')).toMatch(
      /^-> \S+\s+Tunnel\s+gue:6080:\+c\s+0 /,
    );
    const drained = await table();
    const tunnels = `${lab.info.vip.host}:2200`;
    const gue = (t: typeof before) => t.find((s) => s.address === tunnels)!.servers[0];
    expect(gue(drained)).toMatchObject({
      host: '198.18.0.11',
      weight: 0,
      tunnelInfo: 'gue:6080:+c',
      upperThreshold: 40,
      lowerThreshold: 5,
    });
    // Nothing else on the director moved: set rs1's weight back in the copy, and the tables are equal.
    gue(drained)!.weight = 3;
    expect(drained).toEqual(before);
    // Put back the way `lvs-verify undo` does after a killed run: from the journal, through the same driver.
    const scratch = await mkdtemp('/tmp/ldk-labs-journal-');
    try {
      const journal = join(scratch, 'journal.json');
      const e = await new Journal(journal).add({
        vip: tunnelVip(),
        real: rs,
        originalWeight: 3,
        driverSpec: spec,
        driverDescription: driver.description,
        manualCommand: driver.manualCommand({ vip: tunnelVip() }, rs, 3),
      });
      await new Journal(journal).update(e.id, { pid: 999_999_999, startTime: 1 });
      const undo = await undoDrains({ journalPath: journal });
      expect(undo.restored.map((x) => x.real)).toEqual([rs]);
      expect(e.manualCommand).toBe(
        `ipvsadm -e -t ${lab.info.vip.host}:2200 -r 198.18.0.11:2200 -i -w 3 -x 40 -y 5 --tun-type gue --tun-port 6080 --tun-csum`,
      );
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    expect(await table()).toEqual(before);
  });

  it('a NAT server keeps -m and its own port; GRE and plain ipip keep theirs', async () => {
    const before = await table();
    const driver = await createDriver(spec);
    for (const [host, port, weight] of [
      ['198.18.0.12', 8080, 2],
      ['198.18.0.13', 2200, 1],
      ['198.18.0.14', 2200, 4],
    ] as const) {
      await driver.setWeight({ vip: tunnelVip() }, { host, port }, 0);
      expect(await driver.getWeight({ vip: tunnelVip() }, { host, port })).toBe(0);
      await driver.setWeight({ vip: tunnelVip() }, { host, port }, weight);
    }
    expect(await line(`-t ${lab.info.vip.host}:2200`, '198.18.0.12:8080')).toMatch(/^-> \S+\s+Masq\s+n\/a\s+2 /);
    expect(await line(`-t ${lab.info.vip.host}:2200`, '198.18.0.13:2200')).toMatch(/Tunnel\s+gre:\+c\s+1 /);
    expect(await table()).toEqual(before);
  });

  it('firewall-mark and UDP services are drained and put back through the same driver', async () => {
    const before = await table();
    const fwmark = await createDriver({ ...spec, fwmark: 7 });
    const rs1 = { host: '198.18.0.11', port: 2100 };
    expect(await fwmark.getWeight({ vip: lab.info.vip }, rs1)).toBe(2);
    await fwmark.setWeight({ vip: lab.info.vip }, rs1, 0);
    expect(await line('-f 7', '198.18.0.11:0')).toMatch(/Route\s+n\/a\s+0 /);
    await fwmark.setWeight({ vip: lab.info.vip }, rs1, 2);
    const udp = await createDriver({ ...spec, protocol: 'udp' });
    const vip = { host: lab.info.vip.host, port: 2153 };
    await udp.setWeight({ vip }, { host: '198.18.0.12', port: 53 }, 0);
    expect(await line(`-u ${vip.host}:2153`, '198.18.0.12:53')).toMatch(/Masq\s+n\/a\s+0 /);
    await udp.setWeight({ vip }, { host: '198.18.0.12', port: 53 }, 5);
    expect(await table()).toEqual(before);
  });

  it('a whole drain-test of the DR service leaves every other service and server exactly as it was', async () => {
    const before = await table();
    const r = await verifyInClient(lab, [
      ...cluster(lab),
      '--driver',
      'ipvsadm',
      '--director',
      spec.director,
      '--json',
    ]);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(r.code, summary(report) + r.stderr).toBe(0);
    expect(check(report, 'restore').message).toMatch(
      new RegExp(
        `^weight 1 put back \\(ipvsadm -e -t ${lab.info.vip.host.replaceAll('.', '\\.')}:2100 -r 198\\.18\\.0\\.11:2100 -g -w 1\\)$`,
      ),
    );
    expect(await table()).toEqual(before);
  });
});

describe('nftables: only the map elements and the modulus of the one balancing rule', () => {
  let lab: TestLab;
  let d: { netns: string; table: string; chain: string; map: string };
  const nft = async (...args: string[]) =>
    (await execa('ip', ['netns', 'exec', d.netns, 'nft', ...args], { input: '' })).stdout;
  const nftScript = (script: string) => execa('ip', ['netns', 'exec', d.netns, 'nft', '-f', '-'], { input: script });
  const ruleHandle = async () =>
    (
      JSON.parse(await nft('-j', 'list', 'chain', 'ip', d.table, d.chain)) as {
        nftables: Array<{ rule?: { handle: number } }>;
      }
    ).nftables.flatMap((o) => (o.rule ? [o.rule.handle] : []));
  const nftFlags = () => [
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
  ];

  beforeAll(async () => {
    lab = await startTestLab('nft');
    if (lab.info.driver.kind !== 'nft') throw new Error('not an nft lab');
    d = lab.info.driver;
  });

  afterAll(async () => {
    await lab?.down();
  });

  it('a chain with another rule beside the balancer is refused before the drain (exit 3) and left intact', async () => {
    await nftScript(`insert rule ip ${d.table} ${d.chain} ip saddr 10.0.0.0/8 accept\n`);
    try {
      const before = await nft('list', 'ruleset');
      const r = await verifyInClient(lab, [...cluster(lab), ...nftFlags(), '--json']);
      const report = JSON.parse(r.stdout) as DrainReport;
      expect(r.code, summary(report) + r.stderr).toBe(3);
      expect(report.error?.message).toBe(
        `nft chain ip ${d.table} ${d.chain}: it holds 2 rules; the nft driver changes only a chain that holds one rule \`dnat to numgen inc|numgen random|jhash …|symhash mod N map @${d.map}\` (nothing was changed)`,
      );
      expect(report.restore.attempted).toBe(false);
      expect(await nft('list', 'ruleset')).toBe(before);
    } finally {
      const [extra] = await ruleHandle();
      await nftScript(`delete rule ip ${d.table} ${d.chain} handle ${extra}\n`);
    }
  });

  it('a jhash balancer is drained and restored: its expression kept, the ruleset afterwards as before', async () => {
    const [handle] = await ruleHandle();
    await nftScript(
      `replace rule ip ${d.table} ${d.chain} handle ${handle} dnat to jhash ip saddr . tcp sport mod 2 seed 0x5eed map @${d.map}\n`,
    );
    try {
      const before = await nft('list', 'ruleset');
      expect(before).toMatch(/dnat to jhash ip saddr \. tcp sport mod 2 seed 0x0*5eed map @backends/);
      const r = await verifyInClient(lab, [...cluster(lab), ...nftFlags(), '--json']);
      const report = JSON.parse(r.stdout) as DrainReport;
      expect(r.code, summary(report) + r.stderr).toBe(0);
      expect(report.director?.scheduler).toBe('jhash mod 2');
      expect(check(report, 'new-connections-avoid-drained').status).toBe('pass');
      expect(await nft('list', 'ruleset')).toBe(before);
      expect(await ruleHandle()).toEqual([handle]);
    } finally {
      await nftScript(
        `replace rule ip ${d.table} ${d.chain} handle ${handle} dnat to numgen inc mod 2 map @${d.map}\n`,
      );
    }
  });
});

describe('HAProxy: the named server, never a neighbour on the same address', () => {
  let lab: TestLab;
  let socket: string;
  let backend: string;
  const api = (command: string) => haproxyCommand(socket, command);
  const weights = async () =>
    Promise.all(['rs1', 'rs1-canary', 'rs2'].map(async (s) => (await api(`get weight ${backend}/${s}`)).trim()));
  const haproxyFlags = (server?: string) => haproxyDriverFlags(socket, backend, server);

  beforeAll(async () => {
    lab = await startTestLab('haproxy');
    if (lab.info.driver.kind !== 'haproxy') throw new Error('not a haproxy lab');
    ({ socket, backend } = lab.info.driver);
    // A second server on rs1's address (a canary entry), added at run time.
    expect(await api(`add server ${backend}/rs1-canary 198.18.0.11:2100 weight 2`)).toContain('New server registered');
    await api(`enable server ${backend}/rs1-canary`);
  });

  afterAll(async () => {
    await lab?.down();
  });

  it('two servers on the drained address and no --haproxy-server: refused (exit 3), both listed, nothing changed', async () => {
    const r = await verifyInClient(lab, [...cluster(lab), ...haproxyFlags(), '--json']);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(r.code, summary(report) + r.stderr).toBe(3);
    expect(report.error?.message).toBe(
      `HAProxy backend ${backend} has 2 servers at 198.18.0.11:2100: rs1, rs1-canary; name the one to drain with --haproxy-server (nothing was changed)`,
    );
    expect(await weights()).toEqual(['1 (initial 1)', '2 (initial 2)', '1 (initial 1)']);
  });

  it('--haproxy-server at another address than --drain is refused (exit 3)', async () => {
    const r = await verifyInClient(lab, [...cluster(lab), ...haproxyFlags('rs2'), '--json']);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(r.code, summary(report) + r.stderr).toBe(3);
    expect(report.error?.message).toMatch(/server rs2 is at 198\.18\.0\.12:2100, not 198\.18\.0\.11:2100/);
    expect(await weights()).toEqual(['1 (initial 1)', '2 (initial 2)', '1 (initial 1)']);
  });

  it('the named server is the one drained: rs1 alone goes to 0, so its neighbour still takes new connections (FAIL)', async () => {
    const r = await verifyInClient(lab, [...cluster(lab), ...haproxyFlags('rs1'), '--json']);
    const report = JSON.parse(r.stdout) as DrainReport;
    // The canary on the same address still takes new connections: the drain did not take rs1's address out.
    expect(r.code, summary(report) + r.stderr).toBe(1);
    expect(check(report, 'new-connections-avoid-drained').status).toBe('fail');
    expect(report.servers.find((s) => s.name === 'rs1')?.weightDuringDrain).toBe(0);
    expect(check(report, 'restore').message).toBe(`weight 1 put back (set weight ${backend}/rs1 1 (${socket}))`);
    expect(await weights()).toEqual(['1 (initial 1)', '2 (initial 2)', '1 (initial 1)']);
  });

  it('the restore command a person is given fails when HAProxy refuses it', async () => {
    const driver = await createDriver({ kind: 'haproxy', socket, backend: 'no-such-backend', server: 'rs1' });
    const rs1 = { host: '198.18.0.11', port: 2100 };
    const refused = await execa('/bin/sh', ['-c', driver.manualCommand({ vip: lab.info.vip }, rs1, 1)], {
      reject: false,
    });
    expect([refused.exitCode, refused.stdout]).toEqual([1, 'No such backend.\n\nNo such backend.']);
    const right = await createDriver({ kind: 'haproxy', socket, backend, server: 'rs1-canary' });
    const ok = await execa('/bin/sh', ['-c', right.manualCommand({ vip: lab.info.vip }, rs1, 2)], { reject: false });
    expect([ok.exitCode, ok.stdout.trim()]).toEqual([0, '2 (initial 2)']);
  });
});
