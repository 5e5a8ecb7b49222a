/**
 * A director with a stand-in keepalived, for the keepalived driver's unit tests (the real one, in the lab
 * VM, is in test/labs/keepalived.labs.test.ts). The driver's shell scripts run for real on this host (sh,
 * base64, sha256sum, cp, mv, kill); `keepalived --config-test` and `--version` are a small script on the
 * PATH; the daemon is a process whose command line reads `keepalived … -f CONF` and which, at start and on
 * every SIGHUP, loads the real servers' weights from the file. `ipvsadm -L -n` answers with what it
 * loaded — 0 for a server whose track file holds a non-zero value (FILE_CHECK weight 0, inhibit_on_failure).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandResult, CommandTransport } from '@lvs-drain-kit/common';
import { formatIpvsadmList } from '../src/drivers/ipvsadm-list.js';
import { createLocalTransport } from '../src/transports/local.js';

const DAEMON = `import { readFileSync, writeFileSync } from 'node:fs';
const conf = process.argv[process.argv.indexOf('-f') + 1];
let loads = 0;
const load = () => {
  if (process.env.FAKE_IGNORE_HUP && loads > 0) return;
  const weights = {};
  for (const m of readFileSync(conf, 'latin1').matchAll(/real_server\\s+(\\S+)\\s+(\\d+)\\s*\\{\\s*weight\\s+(\\d+)/g)) weights[m[1] + ':' + m[2]] = Number(m[3]);
  writeFileSync(process.env.FAKE_STATE, JSON.stringify({ weights, loads: ++loads }));
};
process.on('SIGHUP', load);
load();
setInterval(() => {}, 1 << 30);
`;

const KEEPALIVED = `#!/bin/sh
case "$1" in
  --version) echo "Keepalived v2.2.7 (fake)" >&2; exit 0 ;;
  --config-test)
    n=$(grep -n INVALID "$3" | head -n 1 | cut -d: -f1)
    [ -z "$n" ] && exit 0
    echo "($3: Line $n) Unknown keyword 'INVALID'" >&2; exit 5 ;;
esac
exit 2
`;

export interface FakeDirector {
  dir: string;
  conf: string;
  pidFile: string;
  transport: CommandTransport;
  /** Every argv the driver ran. */
  calls: string[][];
  /** How often the daemon loaded its file (1 at start, +1 per reload). */
  loads(): Promise<number>;
  /** Track file paths → the server they drain (`host:port`). */
  trackFiles: Record<string, string>;
  stop(): Promise<void>;
}

export async function startFakeDirector(
  confText: string,
  options: { vip: string; trackFiles?: Record<string, string>; ignoreHup?: boolean; confPath?: string } = { vip: '' },
): Promise<FakeDirector> {
  const dir = await mkdtemp(join(tmpdir(), 'ldk-fake-keepalived-'));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'keepalived'), KEEPALIVED);
  await chmod(join(bin, 'keepalived'), 0o755);
  await writeFile(join(dir, 'daemon.mjs'), DAEMON);
  const conf = options.confPath ?? join(dir, 'keepalived.conf');
  await writeFile(conf, Buffer.from(confText.replaceAll('@DIR@', dir), 'latin1'));
  const state = join(dir, 'state.json');
  const child: ChildProcess = spawn(process.execPath, [join(dir, 'daemon.mjs'), '-f', conf], {
    argv0: 'keepalived',
    stdio: 'ignore',
    env: { ...process.env, FAKE_STATE: state, ...(options.ignoreHup ? { FAKE_IGNORE_HUP: '1' } : {}) },
  });
  const pidFile = join(dir, 'keepalived.pid');
  await writeFile(pidFile, `${child.pid}\n`);
  const read = async () => {
    for (let i = 0; i < 200; i++) {
      const text = await readFile(state, 'utf8').catch(() => '');
      if (text) return JSON.parse(text) as { weights: Record<string, number>; loads: number };
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the fake keepalived did not start');
  };
  await read();
  const trackFiles = Object.fromEntries(
    Object.entries(options.trackFiles ?? {}).map(([path, server]) => [path.replaceAll('@DIR@', dir), server]),
  );
  const local = createLocalTransport();
  const calls: string[][] = [];
  const transport: CommandTransport = {
    description: 'local',
    async run(argv, runOptions): Promise<CommandResult> {
      calls.push([...argv]);
      if (argv[0] === 'ipvsadm') {
        const { weights } = await read();
        const failed = new Set<string>();
        for (const [path, server] of Object.entries(trackFiles)) {
          const value = Number((await readFile(path, 'utf8').catch(() => '0')).trim() || '0');
          if (value !== 0) failed.add(server);
        }
        const servers = Object.entries(weights).map(([hp, w]) => {
          const [host, port] = hp.split(':');
          return { host: host!, port: Number(port), forwarding: 'Route', weight: failed.has(hp) ? 0 : w };
        });
        const thresholds = argv.includes('--thresholds');
        const stdout = formatIpvsadmList(
          [{ protocol: 'TCP', address: options.vip, scheduler: 'wrr', flags: '', servers }],
          {
            thresholds,
          },
        );
        return { stdout, stderr: '', exitCode: 0 };
      }
      if (argv[0] === 'uname' || argv[0] === 'grep') return { stdout: '', stderr: '', exitCode: 1 };
      return local.run(['env', `PATH=${bin}:${process.env.PATH}`, ...argv], runOptions);
    },
  };
  return {
    dir,
    conf,
    pidFile,
    transport,
    calls,
    trackFiles,
    loads: async () => (await read()).loads,
    stop: async () => {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
