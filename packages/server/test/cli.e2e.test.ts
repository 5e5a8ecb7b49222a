import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { openLineClient, runCli, type SpawnedServer, spawnRsServer } from '@lvs-drain-kit/testkit';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { commanderOptions, flagValues } from '../src/options/flag.js';
import { SERVE_FLAGS } from '../src/options/serve.js';

/** The real binary, to the end: `{ code, stdout, stderr }`. */
const runBin = (args: string[]) => runCli(RS_SERVER_BIN, args, { timeoutMs: 15_000 });

const servers: SpawnedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop(1000)));
});

describe('rs-server command line', () => {
  it('--version prints the version of package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await runBin(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('--help lists the commands, examples, exit codes and duration units', async () => {
    const r = await runBin(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['serve', 'ctl', 'check', 'realserver'])
      expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 {3}done/);
    expect(r.stdout).toContain(
      'DURATION: a number and a unit: 250ms, 5s, 2m, 1h (a bare number is refused; 0 needs none).',
    );
  });

  it('serve --help shows every flag of the option table, with examples', async () => {
    const r = await runBin(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const spec of Object.values(SERVE_FLAGS)) expect(r.stdout).toContain(spec.flags);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('SIGUSR2 toggles drain');
  });

  it('reads flags into the option table’s names and units', () => {
    const c = new Command().exitOverride();
    for (const o of commanderOptions(SERVE_FLAGS)) c.addOption(o);
    c.parse(['--idle-timeout', '10m', '--drain-on-term', '1.5s', '--agent-port', '2101', '--name', 'rs9'], {
      from: 'user',
    });
    const v = flagValues(SERVE_FLAGS, c.opts());
    expect(v).toMatchObject({
      idleTimeoutMs: 600_000,
      drainOnTermMs: 1_500,
      agentPort: 2101,
      name: 'rs9',
      shutdownTimeoutMs: 30_000,
      statusHost: '127.0.0.1',
      statusPort: undefined,
      ctlPath: undefined,
    });
  });

  it('answers with the host name when no --name is given', async () => {
    const rs = await spawnRsServer([]);
    servers.push(rs);
    const c = await openLineClient(rs.port);
    c.send('who\n');
    expect(await c.waitForLines(1)).toEqual([`it's from the host: ${hostname()}`]);
    c.socket.destroy();
  });

  it('check turns bad flags into "down" (1), never into 2 (= weight 0 for keepalived)', async () => {
    const r = await runBin(['check', '--bogus']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("rs-server: unknown option '--bogus'\n");
    expect(await runBin(['check'])).toMatchObject({
      code: 1,
      stderr: 'rs-server: check needs one of --agent HOST:PORT or --ctl PATH\n',
    });
    const unreachable = await runBin(['check', '--agent', '127.0.0.1:1']);
    expect(unreachable).toMatchObject({ code: 1, stdout: 'down: agent 127.0.0.1:1: ECONNREFUSED\n' });
  });

  it('ctl needs a control socket: exit 2 without one, 3 when nothing listens there', async () => {
    expect(await runBin(['ctl', 'status'])).toMatchObject({
      code: 2,
      stderr: 'rs-server: ctl needs --ctl PATH (or RS_SERVER_CTL)\n',
    });
    const r = await runBin(['ctl', 'drain', '--ctl', '/nonexistent/rs.sock']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^rs-server: control socket \/nonexistent\/rs.sock: ENOENT \(is rs-server running/);
    expect(await runBin(['ctl', 'sideways', '--ctl', '/x'])).toMatchObject({
      code: 2,
      stderr: 'rs-server: unknown request "sideways": expected status, drain, ready, maint or weight\n',
    });
  });
});
