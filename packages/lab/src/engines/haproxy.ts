/** HAProxy (Debian's) in the director namespace: mode tcp, `balance` as planned, runtime API on a unix socket. */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordProcess } from '@lvs-drain-kit/common';
import { haproxyCommand } from '@lvs-drain-kit/drivers';
import { LabError } from '../errors.js';
import { haproxyConfig } from '../haproxy-config.js';
import { inNetns, run } from '../run-command.js';
import type { DirectorEngine } from './engine.js';

export const HAPROXY_BACKEND = 'lab';
/** The backend (and frontend) of the lab's HTTP service. */
export const HAPROXY_HTTP_BACKEND = 'lab_http';
const files = { cfg: 'haproxy.cfg', sock: 'haproxy.sock', pid: 'haproxy.pid', log: 'haproxy.log' };

export const haproxyEngine: DirectorEngine = {
  description: 'HAProxy in mode tcp, balance roundrobin (or --scheduler), runtime API on a unix socket (root)',
  needsRoot: true,
  network: 'namespaces',
  options: [],
  tools: [{ name: 'haproxy', hint: 'apt-get install haproxy' }],
  directRouting: false,
  needsTap: false,

  async start(ctx) {
    const { plan, stateDir } = ctx;
    const path = (f: string) => join(stateDir, f);
    for (const f of Object.values(files)) await ctx.recordFile(f);
    await writeFile(
      path(files.cfg),
      haproxyConfig({
        socket: path(files.sock),
        pidFile: path(files.pid),
        bind: plan.vip,
        backend: HAPROXY_BACKEND,
        balance: plan.scheduler,
        servers: plan.reals.map((r) => ({ name: r.name, host: r.host, port: r.port })),
        ...(plan.httpPort !== undefined ? { http: { port: plan.httpPort, backend: HAPROXY_HTTP_BACKEND } } : {}),
      }),
    );
    await run(inNetns(plan.directorNetns!, ['haproxy', '-c', '-q', '-f', path(files.cfg)]));
    // -D: haproxy forks into the background and writes the daemon's PID to the pidfile.
    await run(inNetns(plan.directorNetns!, ['haproxy', '-D', '-f', path(files.cfg), '-p', path(files.pid)]));
    const pid = Number((await readFile(path(files.pid), 'utf8')).trim().split('\n')[0]);
    await ctx.recordProcess({ role: 'haproxy', ...(await recordProcess(pid, ['haproxy', path(files.cfg)])) });
    const deadline = Date.now() + 10_000;
    while (!existsSync(path(files.sock))) {
      if (Date.now() > deadline) throw new LabError('haproxy did not open its runtime API socket');
      await sleep(25);
    }
    const version =
      (await haproxyCommand({ path: path(files.sock) }, 'show info')).match(/^Version: (.*)$/m)?.[1] ?? '?';
    return {
      driver: {
        kind: 'haproxy',
        socket: path(files.sock),
        backend: HAPROXY_BACKEND,
      },
      ...(plan.httpPort !== undefined
        ? { httpDriver: { kind: 'haproxy' as const, socket: path(files.sock), backend: HAPROXY_HTTP_BACKEND } }
        : {}),
      details: { directorNetns: plan.directorNetns!, haproxyVersion: version, forwarding: 'tcp proxy (haproxy)' },
    };
  },

  pidFiles: (stateDir) => [
    { file: join(stateDir, files.pid), role: 'haproxy', cmdlineMarkers: ['haproxy', join(stateDir, files.cfg)] },
  ],

  async describe({ stateDir }) {
    const sock = join(stateDir, files.sock);
    if (!existsSync(sock)) return 'haproxy: not running';
    const out = await haproxyCommand({ path: sock }, `show servers state ${HAPROXY_BACKEND}`).catch(
      (err: Error) => `haproxy unreachable: ${err.message}`,
    );
    return out.trimEnd();
  },

  exampleCommand: ['ss', '-ltn'],
  directorExec: ({ plan }) => ({ argvPrefix: inNetns(plan.directorNetns!, []) }),
};
