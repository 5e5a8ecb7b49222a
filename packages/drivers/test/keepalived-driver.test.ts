import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createIpvsadmDriver } from '../src/drivers/ipvsadm.js';
import { BACKUP_SUFFIX, createKeepalivedDriver } from '../src/drivers/keepalived.js';
import { DriverError } from '../src/errors.js';
import { type FakeDirector, startFakeDirector } from './fake-keepalived.js';

const service = { vip: { host: '172.16.0.100', port: 2100 } };
const rs1 = { host: '172.16.0.111', port: 2100 };

/** A director's file as people write them: a Latin-1 comment, tabs, a track_file for the drain by file. */
const CONF = [
  '! lb1 — caf\xe9',
  'track_file drain_rs1 {',
  '    file "@DIR@/drain-rs1"',
  '    weight 0',
  '}',
  'virtual_server 172.16.0.100 2100 {',
  '\tlb_algo wrr',
  '\tlb_kind DR',
  '\treal_server 172.16.0.111 2100 {',
  '\t\tweight 3',
  '\t\tinhibit_on_failure',
  '\t\tFILE_CHECK { track_file drain_rs1 }',
  '\t}',
  '\treal_server 172.16.0.112 2100 {',
  '\t\tweight 1',
  '\t}',
  '}',
  '',
].join('\n');

let fake: FakeDirector | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function director(text = CONF, options: { ignoreHup?: boolean } = {}) {
  fake = await startFakeDirector(text, {
    vip: '172.16.0.100:2100',
    trackFiles: { '@DIR@/drain-rs1': '172.16.0.111:2100' },
    ...options,
  });
  const bytes = async () => (await readFile(fake!.conf)).toString('latin1');
  return { fake, bytes, original: await bytes() };
}

const driverFor = (f: FakeDirector, extra: { trackFile?: string; waitMs?: number } = {}) =>
  createKeepalivedDriver({ transport: f.transport, conf: f.conf, pidFile: f.pidFile, waitMs: 3000, ...extra });

describe('keepalived driver: by weight', () => {
  it('changes only the weight, keeps a backup, reloads, reads IPVS; restore puts the exact bytes back', async () => {
    const { fake, bytes, original } = await director();
    const driver = driverFor(fake);
    const state = await driver.inspect(service);
    expect(state.servers.map((s) => [s.host, s.weight])).toEqual([
      ['172.16.0.111', 3],
      ['172.16.0.112', 1],
    ]);
    expect(state.raw).toMatch(/# Keepalived v2\.2\.7 \(fake\), pid \d+: keepalived /);
    expect(await driver.getWeight(service, rs1)).toBe(3);

    await driver.setWeight(service, rs1, 0);
    expect(await bytes()).toBe(original.replace('\t\tweight 3', '\t\tweight 0'));
    expect(await fake.loads()).toBe(2);
    expect(await driver.getWeight(service, rs1)).toBe(0);
    expect((await readFile(`${fake.conf}${BACKUP_SUFFIX}`)).toString('latin1')).toBe(original);
    expect(existsSync(`${fake.conf}.lvs-drain-kit.new`)).toBe(false);
    expect(driver.manualCommand(service, rs1, 3)).toBe(
      `sed -i '10s/weight[[:space:]][[:space:]]*[0-9][0-9]*/weight 3/' ${fake.conf} && keepalived --config-test -f ${fake.conf} && kill -HUP "$(cat ${fake.pidFile})"`,
    );

    await driver.setWeight(service, rs1, 3);
    expect(await bytes()).toBe(original);
    expect(await fake.loads()).toBe(3);
    expect(await driver.getWeight(service, rs1)).toBe(3);
    // What the file held before this run stays in the backup.
    expect((await readFile(`${fake.conf}${BACKUP_SUFFIX}`)).toString('latin1')).toBe(original);
  });

  it('a file keepalived rejects: refused with its words before anything changes, no reload', async () => {
    const broken = CONF.replace('\tlb_kind DR', '\tlb_kind DR\n\tINVALID yes');
    const { fake, bytes, original } = await director(broken);
    const driver = driverFor(fake);
    const refused = driver.inspect(service);
    await expect(refused).rejects.toThrow(DriverError);
    await expect(refused).rejects.toThrow(
      /does not pass keepalived --config-test as it is, so no edit of it can be tested \(nothing was changed\): \(.*keepalived\.conf: Line 9\) Unknown keyword 'INVALID'/,
    );
    await expect(driver.setWeight(service, rs1, 0)).rejects.toThrow(
      /keepalived --config-test rejects .* with weight 0 for 172\.16\.0\.111:2100; nothing was changed and keepalived was not reloaded: \(.*Line 9\) Unknown keyword 'INVALID'/,
    );
    expect(await bytes()).toBe(original);
    expect(await fake.loads()).toBe(1);
    expect(existsSync(`${fake.conf}${BACKUP_SUFFIX}`)).toBe(false);
    expect(existsSync(`${fake.conf}.lvs-drain-kit.new`)).toBe(false);
  });

  it('restore refuses to overwrite a file someone else changed meanwhile', async () => {
    const { fake, bytes } = await director();
    const driver = driverFor(fake);
    await driver.setWeight(service, rs1, 0);
    const theirs = (await bytes()).replace('\t\tweight 1', '\t\tweight 2');
    await writeFile(fake.conf, Buffer.from(theirs, 'latin1'));
    await expect(driver.setWeight(service, rs1, 3)).rejects.toThrow(
      /was changed by someone else since this run wrote it: not overwriting it/,
    );
    expect(await bytes()).toBe(theirs);
    expect(await fake.loads()).toBe(2);
  });

  it('says so when keepalived does not program the weight after the reload', async () => {
    const { fake } = await director(CONF, { ignoreHup: true });
    await expect(driverFor(fake, { waitMs: 300 }).setWeight(service, rs1, 0)).rejects.toThrow(
      /keepalived did not set weight 0 for 172\.16\.0\.111:2100 in IPVS within 300 ms of the reload \(kill -HUP \d+\) \(IPVS shows 3\)/,
    );
  });

  const refusals: Array<[string, (t: string) => string, RegExp]> = [
    [
      'a MISC_CHECK with misc_dynamic',
      (t) =>
        t.replace('\t\tinhibit_on_failure', '\t\tMISC_CHECK {\n\t\t\tmisc_path "/bin/true"\n\t\t\tmisc_dynamic\n\t\t}'),
      /line 11: the MISC_CHECK of real_server 172\.16\.0\.111:2100 is dynamic: keepalived takes the server's weight from the check/,
    ],
    [
      'a drain below the quorum',
      (t) => t.replace('\tlb_kind DR', '\tlb_kind DR\n\tquorum 2'),
      /draining 172\.16\.0\.111:2100 leaves the written weights of TCP 172\.16\.0\.100:2100 at 1, below its quorum 2/,
    ],
    ['no weight line', (t) => t.replace('\t\tweight 3\n', ''), /has no weight line/],
  ];
  for (const [what, patch, message] of refusals) {
    it(`refuses ${what}, changing nothing`, async () => {
      const { fake, bytes, original } = await director(patch(CONF));
      const driver = driverFor(fake);
      await expect(driver.getWeight(service, rs1)).rejects.toThrow(message);
      await expect(driver.setWeight(service, rs1, 0)).rejects.toThrow(message);
      expect(await bytes()).toBe(original);
      expect(await fake.loads()).toBe(1);
    });
  }

  it('refuses a keepalived that is not running, or that reads another file', async () => {
    const { fake } = await director();
    await expect(
      createKeepalivedDriver({ transport: fake.transport, conf: fake.conf, pidFile: `${fake.dir}/none.pid` }).inspect(
        service,
      ),
    ).rejects.toThrow(/keepalived is not running on the director \(no live keepalived process in .*none\.pid\)/);
    await expect(
      createKeepalivedDriver({
        transport: fake.transport,
        conf: '/etc/keepalived/other.conf',
        pidFile: fake.pidFile,
      }).getWeight(service, rs1),
    ).rejects.toThrow(
      new RegExp(`reads ${fake.conf}, not /etc/keepalived/other\\.conf: give --keepalived-conf ${fake.conf}`),
    );
  });

  it('refuses a virtual server that an included file defines too', async () => {
    const { fake } = await director(`include @DIR@/conf.d/*.conf\n${CONF}`);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(`${fake.dir}/conf.d`);
    await writeFile(`${fake.dir}/conf.d/lb.conf`, 'virtual_server 172.16.0.100 2100 {\n}\n');
    await expect(driverFor(fake).setWeight(service, rs1, 0)).rejects.toThrow(
      /virtual_server 172\.16\.0\.100 2100 is also defined in .*conf\.d\/lb\.conf, included by/,
    );
    await writeFile(`${fake.dir}/conf.d/lb.conf`, 'virtual_server 172.16.0.100 443 {\n}\n');
    await driverFor(fake).setWeight(service, rs1, 0);
    expect(await fake.loads()).toBe(2);
  });
});

describe('keepalived driver: by track file', () => {
  it('writes 1 into the file (no reload, keepalived.conf untouched), and puts its bytes back', async () => {
    const { fake, bytes, original } = await director();
    const track = `${fake.dir}/drain-rs1`;
    await writeFile(track, '0\n');
    const driver = driverFor(fake, { trackFile: 'drain_rs1' });
    expect(driver.description).toMatch(/^keepalived track_file drain_rs1 /);
    await driver.inspect(service);
    await driver.setWeight(service, rs1, 0);
    expect(await readFile(track, 'utf8')).toBe('1\n');
    expect(await driver.getWeight(service, rs1)).toBe(0);
    expect(driver.manualCommand(service, rs1, 3)).toBe(`printf '0\\n' > ${track}`);
    await expect(driver.setWeight(service, rs1, 2)).rejects.toThrow(
      /a drain by track file takes 172\.16\.0\.111:2100 to 0 and back to its written weight 3, not to 2/,
    );
    await driver.setWeight(service, rs1, 3);
    expect(await readFile(track, 'utf8')).toBe('0\n');
    expect(await driver.getWeight(service, rs1)).toBe(3);
    expect(await bytes()).toBe(original);
    expect(await fake.loads()).toBe(1);
  });

  it('refuses a server without inhibit_on_failure: a failed check would take it out of IPVS', async () => {
    const { fake } = await director(CONF.replace('\t\tinhibit_on_failure\n', ''));
    await expect(driverFor(fake, { trackFile: 'drain_rs1' }).setWeight(service, rs1, 0)).rejects.toThrow(
      /has no inhibit_on_failure: a failed FILE_CHECK would remove it from IPVS and its open connections would hang/,
    );
    expect(existsSync(`${fake.dir}/drain-rs1`)).toBe(false);
  });
});

describe('ipvsadm driver on a director that keepalived runs', () => {
  /** The fake's transport, with the /proc scan answering that keepalived (pid 4242) reads `conf`. */
  const withKeepalived = (f: FakeDirector, conf: string) => ({
    description: 'ssh root@lb1',
    run: (argv: readonly string[], o?: { timeoutMs?: number; input?: string }) =>
      argv[0] === 'sh' && String(argv[2]).includes('/proc/[0-9]*')
        ? Promise.resolve({ stdout: `@pid /proc/4242\nkeepalived\n-D\n-f\n${conf}\n`, stderr: '', exitCode: 0 })
        : f.transport.run(argv, o),
  });

  it('warns in preflight that keepalived owns the service and will put a manual weight back', async () => {
    const { fake } = await director();
    const state = await createIpvsadmDriver({ transport: withKeepalived(fake, fake.conf) }).inspect(service);
    expect(state.warnings).toContain(
      `keepalived (pid 4242, ${fake.conf}) owns TCP 172.16.0.100:2100: a weight set with ipvsadm is put back by keepalived the next time it changes that server (a health-check transition, a reload, a restart). Drain through keepalived: --driver keepalived --keepalived-conf ${fake.conf} (its weight in keepalived.conf and a reload), or its track_file`,
    );
  });

  it('says nothing when keepalived has only other services, or none runs; says it may when its file is unreadable', async () => {
    const { fake } = await director();
    const other = `${fake.dir}/other.conf`;
    await writeFile(other, 'virtual_server 172.16.0.100 443 {\n}\n');
    const keepalivedWarnings = async (transport: Parameters<typeof createIpvsadmDriver>[0]['transport']) =>
      ((await createIpvsadmDriver({ transport }).inspect(service)).warnings ?? []).filter((w) =>
        w.includes('keepalived'),
      );
    expect(await keepalivedWarnings(withKeepalived(fake, other))).toEqual([]);
    expect(await keepalivedWarnings(fake.transport)).toEqual([]);
    expect(await keepalivedWarnings(withKeepalived(fake, `${fake.dir}/missing.conf`))).toEqual([
      `keepalived runs on the director (pid 4242) and its ${fake.dir}/missing.conf could not be read: if it owns TCP 172.16.0.100:2100, a weight set with ipvsadm is put back by keepalived the next time it changes that server (a health-check transition, a reload, a restart). Drain through keepalived: --driver keepalived --keepalived-conf ${fake.dir}/missing.conf (its weight in keepalived.conf and a reload), or its track_file`,
    ]);
  });
});
