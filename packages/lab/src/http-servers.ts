/**
 * The lab's real HTTP servers: Debian's nginx beside each rs-server, on the lab's HTTP port, every answer
 * carrying `X-Served-By: <host name>`. Each runs in its real server's network namespace and in a UTS
 * namespace of its own whose host name is the server's name, so `$hostname` is what it would be on a
 * real machine. One process per server (no master/worker split): the recorded PID is the server.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStillOurs } from '@lvs-drain-kit/common';
import { LabError } from './errors.js';
import type { RealServerPlan } from './plan.js';
import { spawnDetached } from './processes.js';
import type { LabProcess } from './state.js';

/** The header every lab HTTP answer names its server in. */
export const SERVED_BY_HEADER = 'X-Served-By';

/** nginx.conf of one real server (pure): everything under `prefix`, nothing of the host's nginx. */
export function nginxConfig(o: { name: string; port: number; prefix: string }): string {
  const p = (f: string) => join(o.prefix, f);
  return `daemon off;
master_process off;
pid ${p('nginx.pid')};
error_log stderr warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${p('client_body')};
  proxy_temp_path ${p('proxy')};
  fastcgi_temp_path ${p('fastcgi')};
  uwsgi_temp_path ${p('uwsgi')};
  scgi_temp_path ${p('scgi')};
  # A drain test holds keep-alive connections through the whole hold.
  keepalive_timeout 10m;
  keepalive_requests 1000000;
  server {
    listen ${o.port};
    server_name ${o.name};
    add_header ${SERVED_BY_HEADER} $hostname always;
    location / {
      default_type text/plain;
      return 200 "served by $hostname\\n";
    }
  }
}
`;
}

/** What one server's nginx keeps in the state dir: its directory (config, pid, temp paths) and its log. */
export function httpServerFiles(name: string): { dir: string; log: string } {
  return { dir: `nginx-${name}`, log: `nginx-${name}.log` };
}

const dirOf = (stateDir: string, name: string) => join(stateDir, httpServerFiles(name).dir);
const logOf = (stateDir: string, name: string) => join(stateDir, httpServerFiles(name).log);

/** Starts nginx for one planned server, in its namespace, under the host name `real.name`. */
export async function startHttpServer(real: RealServerPlan, port: number, stateDir: string): Promise<LabProcess> {
  if (!real.netns) throw new LabError('the lab HTTP servers run in namespaces');
  const prefix = dirOf(stateDir, real.name);
  await mkdir(prefix, { recursive: true, mode: 0o700 });
  const conf = join(prefix, 'nginx.conf');
  await writeFile(conf, nginxConfig({ name: real.name, port, prefix }));
  const argv = [
    'unshare',
    '--uts',
    '--',
    'sh',
    '-c',
    'hostname "$1" && exec nginx -p "$2" -c "$3"',
    'sh',
    real.name,
    prefix,
    conf,
  ];
  const p = spawnDetached(argv, {
    logFile: logOf(stateDir, real.name),
    netns: real.netns,
    cmdlineMarkers: [conf],
  });
  return { role: `${real.name}-nginx`, ...p };
}

/** nginx writes its pid file once it listens: waits for it, failing as soon as the process is gone. */
export async function waitHttpServerReady(
  p: LabProcess,
  name: string,
  stateDir: string,
  timeoutMs = 15_000,
): Promise<void> {
  const pidFile = join(dirOf(stateDir, name), 'nginx.pid');
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(pidFile)) {
    if (!(await isStillOurs({ ...p, cmdlineMarkers: [] }))) {
      const log = await readFile(logOf(stateDir, name), 'utf8').catch(() => '');
      throw new LabError(`nginx of ${name} exited: ${log.slice(-800).trim()}`);
    }
    if (Date.now() > deadline) throw new LabError(`nginx of ${name} did not start within ${timeoutMs} ms`);
    await sleep(20);
  }
}
