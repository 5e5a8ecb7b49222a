/**
 * keepalived's side of the contract, with examples/keepalived.conf: keepalived itself checks the file
 * (`keepalived -t`), then the MISC_CHECK command written there is run as keepalived runs it (its words
 * as argv, as the script user, killed after misc_timeout) against a real rs-server's agent port, and its
 * exit status is read by keepalived's rules (check_misc.c, misc_dynamic): 0 up with the weight
 * unchanged, 1 down, 2-255 up with weight status-2. This kernel has no IPVS, so the weight is followed
 * here rather than in an IPVS table.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { freePort, openServedClient, type SpawnedServer, spawnRsServer } from '@lvs-drain-kit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const EXAMPLE = readFileSync(new URL('../../../examples/keepalived.conf', import.meta.url), 'utf8');
const INSTALLED = '/usr/local/bin/rs-server';

let dir: string;
let rs: SpawnedServer;
let agentPort: number;

/** The example's script_user, as keepalived runs the check (uid/gid). */
async function scriptUser(): Promise<{ uid: number; gid: number }> {
  const user = /^\s*script_user (\S+)/m.exec(EXAMPLE)?.[1];
  if (!user) throw new Error('examples/keepalived.conf: no script_user');
  const [uid, gid] = await Promise.all([exec('id', ['-u', user]), exec('id', ['-g', user])]);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** The first real server of the example: its weight and MISC_CHECK. */
function exampleCheck(): { weight: number; argv: string[]; timeoutS: number; dynamic: boolean } {
  const block = EXAMPLE.slice(EXAMPLE.indexOf('real_server 172.16.0.111'));
  const weight = Number(/^\s*weight (\d+)$/m.exec(block)?.[1]);
  const path = /misc_path "([^"]+)"/.exec(block)?.[1];
  const timeoutS = Number(/misc_timeout (\d+)/.exec(block)?.[1]);
  if (!path || !weight || !timeoutS) throw new Error('examples/keepalived.conf: no MISC_CHECK for 172.16.0.111');
  const argv = path
    .split(/\s+/)
    // Here rather than on the director: this repository's binary, and the agent of the local stand-in.
    .flatMap((w) => (w === INSTALLED ? [process.execPath, RS_SERVER_BIN] : [w]))
    .map((w) => w.replace('172.16.0.111:2101', `127.0.0.1:${agentPort}`));
  return { weight, argv, timeoutS, dynamic: /^\s*misc_dynamic$/m.test(block) };
}

/** What keepalived makes of one run of the check: up/down, and the weight (check_misc.c). */
async function keepalivedRuns(
  check: { argv: string[]; timeoutS: number; dynamic: boolean },
  weight: number,
): Promise<{ up: boolean; weight: number; status: number }> {
  const user = await scriptUser();
  const status = await exec(check.argv[0]!, check.argv.slice(1), { timeout: check.timeoutS * 1000, ...user }).then(
    () => 0,
    (err: { code?: unknown; killed?: boolean }) => (err.killed || typeof err.code !== 'number' ? -1 : err.code),
  );
  if (status === 0) return { up: true, weight, status };
  if (check.dynamic && status >= 2 && status <= 255) return { up: true, weight: status - 2, status };
  return { up: false, weight, status };
}

const ctl = (...request: string[]) =>
  exec(process.execPath, [RS_SERVER_BIN, 'ctl', ...request, '--ctl', join(dir, 'ctl.sock')]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rs-keepalived-'));
  agentPort = await freePort();
  rs = await spawnRsServer([
    ...['--name', 'rs1', '--agent-port', String(agentPort), '--ctl', join(dir, 'ctl.sock')],
    ...['--drain-on-term', '10s', '--shutdown-timeout', '5s'],
  ]);
});

afterAll(async () => {
  await rs?.stop(1000);
  rmSync(dir, { recursive: true, force: true });
});

describe("keepalived's MISC_CHECK contract (examples/keepalived.conf)", () => {
  it('keepalived accepts the example (and rejects it with a typo: the check is real)', async () => {
    const file = join(dir, 'keepalived.conf');
    // Debian's keepalived 2.2.7 SIGTERMs itself in --config-test when a script runs as another user than
    // its own (notify.c, fixed upstream by skipping that step in config tests): the test checks the file
    // with the script user set to its own (root); the check below runs as the example's user.
    const here = EXAMPLE.replaceAll(INSTALLED, RS_SERVER_BIN).replace(/script_user \S+/, 'script_user root');
    writeFileSync(file, here);
    await expect(exec('keepalived', ['--config-test', '-f', file])).resolves.toBeDefined();
    writeFileSync(file, here.replace('misc_timeout', 'misc_timeot'));
    await expect(exec('keepalived', ['--config-test', '-f', file])).rejects.toMatchObject({ code: 5 });
  });

  it('ready → drain → ready → maint → stopping → gone: weight 1, 0, 1, down, 0, down', async () => {
    const check = exampleCheck();
    expect(check.dynamic).toBe(true);
    let weight = check.weight;
    const step = async () => {
      const r = await keepalivedRuns(check, weight);
      weight = r.weight;
      return r;
    };
    expect(await step()).toEqual({ up: true, weight: 1, status: 3 });
    const c = await openServedClient(rs.port, 'hi');

    await ctl('drain');
    expect(await step()).toEqual({ up: true, weight: 0, status: 2 });
    await ctl('ready');
    expect(await step()).toEqual({ up: true, weight: 1, status: 3 });
    await ctl('maint');
    expect(await step()).toMatchObject({ up: false, status: 1 });
    await ctl('ready');
    expect(await step()).toEqual({ up: true, weight: 1, status: 3 });

    // SIGTERM with --drain-on-term: weight 0 while the open connection goes on, then down.
    rs.child.kill('SIGTERM');
    await rs.waitForRecord((r) => String(r.msg).startsWith('draining before the stop'));
    expect(await step()).toEqual({ up: true, weight: 0, status: 2 });
    c.send('still here\n');
    await c.waitForLines(2);
    c.socket.destroy();
    await rs.waitForRecord((r) => r.msg === 'stopped');
    expect(await step()).toMatchObject({ up: false, status: 1 });
  });

  it('without --weight a ready server exits 0, which leaves a drained weight at 0 (why the example sets it)', async () => {
    const port = await freePort();
    const other = await spawnRsServer(['--name', 'rs2', '--agent-port', String(port)]);
    try {
      const bare = {
        argv: [process.execPath, RS_SERVER_BIN, 'check', '--agent', `127.0.0.1:${port}`, '--quiet'],
        timeoutS: 3,
        dynamic: true,
      };
      other.child.kill('SIGUSR2'); // drain
      await other.waitForRecord((r) => r.msg === 'state: drain');
      const drained = await keepalivedRuns(bare, 1);
      expect(drained).toEqual({ up: true, weight: 0, status: 2 });
      other.child.kill('SIGUSR2'); // ready again
      await other.waitForRecord((r) => r.msg === 'state: ready');
      expect(await keepalivedRuns(bare, drained.weight)).toEqual({ up: true, weight: 0, status: 0 });
    } finally {
      await other.stop(1000);
    }
  });
});
