import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHostPort } from '@lvs-drain-kit/common';
import { createDriver } from '@lvs-drain-kit/drivers';
import { labExecArgv } from '@lvs-drain-kit/lab';
import { LVS_VERIFY_BIN } from '@lvs-drain-kit/testkit';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startTestLab, type TestLab } from './support/lab-fixture.js';

/**
 * The Ansible example (examples/ansible/maintain.yml) as an operator runs it: `ansible-playbook` with an
 * inventory of the lab's real servers, one `lvs-verify maintain --only HOST` per host, one host at a
 * time, against the nft lab. ansible-playbook runs in the lab's client namespace, where the VIP is.
 */
const PLAYBOOK = fileURLToPath(new URL('../../examples/ansible/maintain.yml', import.meta.url));

let lab: TestLab;
beforeAll(async () => {
  lab = await startTestLab('nft');
  if (lab.info.driver.kind !== 'nft') throw new Error('not an nft lab');
  const { kind, table, chain, map, family, netns } = lab.info.driver;
  await writeFile(
    join(lab.scratch, 'cluster.yaml'),
    stringify({
      vip: formatHostPort(lab.info.vip),
      reals: lab.info.reals.map((r) => ({ address: formatHostPort(r), name: r.name })),
      driver: { kind, table, chain, map, family, netns },
    }),
  );
  await writeFile(
    join(lab.scratch, 'inventory.ini'),
    `[realservers]\n${lab.info.reals.map((r) => `${r.name} ansible_connection=local`).join('\n')}\n`,
  );
});
afterAll(async () => {
  await lab?.down();
});
afterEach(async () => {
  const driver = await createDriver(lab.info.driver);
  for (const r of lab.info.reals) {
    if ((await driver.getWeight({ vip: lab.info.vip }, r)) !== 1) await driver.setWeight({ vip: lab.info.vip }, r, 1);
  }
});

/** ansible-playbook in the client namespace, with the lab's lvs-verify and `work` as the maintenance. */
async function playbook(work: string) {
  const restart = `${process.execPath} ${LVS_VERIFY_BIN} lab restart-real --engine nft --state-dir ${lab.info.stateDir} {name}`;
  const vars = {
    lvs_verify: [process.execPath, LVS_VERIFY_BIN],
    cluster_file: join(lab.scratch, 'cluster.yaml'),
    maintenance_command: `${work} && ${restart}`,
    maintain_args: ['--rate', '100', '--poll', '250ms', '--max-age', '3s'],
  };
  await writeFile(join(lab.scratch, 'vars.json'), JSON.stringify(vars));
  const argv = labExecArgv(lab.info, [
    'ansible-playbook',
    '-i',
    join(lab.scratch, 'inventory.ini'),
    PLAYBOOK,
    '-e',
    `@${join(lab.scratch, 'vars.json')}`,
  ]);
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    timeout: 240_000,
    env: {
      XDG_STATE_HOME: lab.scratch,
      NO_COLOR: '1',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOCAL_TEMP: join(lab.scratch, 'ansible-tmp'),
      ANSIBLE_REMOTE_TEMP: join(lab.scratch, 'ansible-tmp'),
    },
  });
  return { code: r.exitCode, out: `${r.stdout}\n${r.stderr}` };
}

/** The hosts whose work ran, in order. */
async function worked(): Promise<string[]> {
  const text = await readFile(join(lab.scratch, 'worked'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}

describe('Ansible rolling maintenance (examples/ansible)', () => {
  it('maintains rs1, then rs2, each restarted for real, and reports no failed request', async () => {
    const { code, out } = await playbook(`echo {name} >> ${join(lab.scratch, 'worked')}`);
    expect(code, out).toBe(0);
    expect(await worked()).toEqual(['rs1', 'rs2']);
    expect(out).toMatch(/rs1 back: empty after \d+ ms, work \d+ ms, \d+ requests, none failed/);
    expect(out).toMatch(/rs2 back: empty after \d+ ms, work \d+ ms, \d+ requests, none failed/);
    expect(out).toMatch(/rs1\s+: ok=\d+\s+changed=1\s+unreachable=0\s+failed=0/);
    expect(out).toMatch(/rs2\s+: ok=\d+\s+changed=1\s+unreachable=0\s+failed=0/);
  });

  it('stops at the first server that fails: rs2 is never touched', async () => {
    await writeFile(join(lab.scratch, 'worked'), '');
    // The work fails on rs1: lvs-verify puts rs1 back and exits 1; the play must not go on to rs2.
    const { code, out } = await playbook(`echo {name} >> ${join(lab.scratch, 'worked')} && test {name} != rs1`);
    expect(code, out).not.toBe(0);
    expect(await worked()).toEqual(['rs1']);
    expect(out).toMatch(/rs1: lvs-verify maintain exited 1 \(a step failed or requests failed; it is back\)/);
    expect(out).toMatch(/rs1 exec: exit 1: \(no output\)\.\s+Requests: \d+ sent, 0 failed\./);
    expect(out).toMatch(/rs1\s+: ok=\d+\s+changed=1\s+unreachable=0\s+failed=1/);
    expect(out).not.toMatch(/rs2\s+: ok=[1-9]/);
    const driver = await createDriver(lab.info.driver);
    expect(await driver.getWeight({ vip: lab.info.vip }, lab.info.reals[0]!)).toBe(1);
  });
});
