/**
 * A real HAProxy (Debian's) on 127.0.0.1 in front of real rs-servers that drain themselves: the backend
 * of examples/haproxy.cfg, its server options as written (checks made faster), addresses and ports made
 * local. Each rs-server has --agent-port and --ctl. Needs the haproxy binary; run under the labs lock.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openLineClient } from './line-client.js';
import { freePort, type SpawnedServer, spawnRsServer } from './rs-server.js';
import { tempDir } from './temp-dir.js';

const exec = promisify(execFile);
const EXAMPLE = new URL('../../../examples/haproxy.cfg', import.meta.url);
/** The backend's name in the example. */
export const AGENT_BACKEND = 'rs_servers';

export interface AgentServer extends SpawnedServer {
  name: string;
  /** Its control socket (`rs-server ctl … --ctl`). */
  ctl: string;
  agentPort: number;
}

export interface AgentCluster {
  /** HAProxy's frontend. */
  front: { host: string; port: number };
  servers: Record<string, AgentServer>;
  /** One command on HAProxy's runtime API. */
  api(command: string): Promise<string>;
  /** `show stat` of one server line: its status (`UP`, `DRAIN (agent)`, `MAINT`…) and weight. */
  stat(server: string): Promise<{ status: string; weight: number }>;
  /** Opens `n` connections through HAProxy one after the other; the name each was answered by. */
  newConnections(n: number): Promise<string[]>;
  /** Polls `read` until `ok` (bounded): HAProxy applies agent answers every agent-inter. */
  until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms?: number): Promise<T>;
  /** Stops HAProxy and the servers, removes the files. */
  stop(): Promise<void>;
}

export interface AgentClusterOptions {
  names?: string[];
  /** Extra flags for every rs-server (e.g. --drain-on-term). */
  serverArgs?: string[];
  /**
   * A misconfigured director, for negative controls: one more server line for this server, same
   * address, without agent-check — so HAProxy asks its agent but keeps sending it new connections.
   */
  plainLineFor?: string;
}

/** The example's backend, each server's address and agent port replaced by local ones. */
function exampleBackend(ports: Record<string, { port: number; agentPort: number }>, plainLineFor?: string): string {
  const text = readFileSync(EXAMPLE, 'utf8');
  let backend = text.slice(text.indexOf(`backend ${AGENT_BACKEND}`));
  backend = backend.replace(
    /^(\s*server (\S+)) \S+:\d+ (.*) agent-port \d+ (.*)$/gm,
    (_, head: string, name: string, before: string, after: string) => {
      const p = ports[name];
      if (!p) throw new Error(`example server ${name} has no local stand-in`);
      // Faster checks than the example's 2 s, so tests wait less; every other option as written.
      const opts = `${before} agent-port ${p.agentPort} ${after}`.replace(/\b(inter|agent-inter) 2s\b/g, '$1 200ms');
      return `${head} 127.0.0.1:${p.port} ${opts}`;
    },
  );
  if (plainLineFor) {
    const p = ports[plainLineFor];
    if (!p) throw new Error(`no server ${plainLineFor}`);
    backend += `    server ${plainLineFor}-plain 127.0.0.1:${p.port} weight 100 check inter 200ms\n`;
  }
  return backend;
}

export async function startAgentCluster(o: AgentClusterOptions = {}): Promise<AgentCluster> {
  const dir = await tempDir('agent-cluster-');
  const servers: Record<string, AgentServer> = {};
  let haproxy: ChildProcess | undefined;
  const stop = async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = once(haproxy, 'exit');
      haproxy.kill('SIGTERM');
      await exited;
    }
    await Promise.all(Object.values(servers).map((s) => s.stop(1000)));
    await dir.remove();
  };
  try {
    const ports: Record<string, { port: number; agentPort: number }> = {};
    for (const name of o.names ?? ['rs1', 'rs2']) {
      const agentPort = await freePort();
      const ctl = join(dir.path, `${name}.sock`);
      const server = await spawnRsServer([
        ...['--name', name, '--agent-port', String(agentPort), '--ctl', ctl],
        ...(o.serverArgs ?? []),
      ]);
      servers[name] = Object.assign(server, { name, ctl, agentPort });
      ports[name] = { port: server.port, agentPort };
    }
    const front = { host: '127.0.0.1', port: await freePort() };
    const cfg = join(dir.path, 'haproxy.cfg');
    writeFileSync(
      cfg,
      `global
  stats socket ${join(dir.path, 'haproxy.sock')} mode 600 level admin

defaults
  timeout connect 2s
  timeout client 1m
  timeout server 1m

frontend front
  mode tcp
  bind ${front.host}:${front.port}
  default_backend ${AGENT_BACKEND}

${exampleBackend(ports, o.plainLineFor)}`,
    );
    await exec('haproxy', ['-c', '-q', '-f', cfg]);
    haproxy = execFile('haproxy', ['-db', '-f', cfg]);

    const api = (command: string) =>
      new Promise<string>((resolve, reject) => {
        const s = connect(join(dir.path, 'haproxy.sock'));
        let out = '';
        s.setEncoding('utf8').on('data', (d: string) => {
          out += d;
        });
        s.on('error', reject);
        s.on('close', () => resolve(out));
        s.on('connect', () => s.end(`${command}\n`));
      });
    const stat = async (server: string) => {
      const csv = await api('show stat');
      const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
      const cols = header!.split(',');
      const row = rows.map((r) => r.split(',')).find((r) => r[0] === AGENT_BACKEND && r[1] === server);
      if (!row) throw new Error(`no ${server} in show stat:\n${csv}`);
      return { status: row[cols.indexOf('status')]!, weight: Number(row[cols.indexOf('weight')]) };
    };
    const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> => {
      const deadline = Date.now() + ms;
      let v = await read();
      while (!ok(v)) {
        if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(v)} after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 50));
        v = await read();
      }
      return v;
    };
    const newConnections = async (n: number) => {
      const names: string[] = [];
      for (let i = 0; i < n; i++) {
        const c = await openLineClient(front.port);
        c.send('who\n');
        const [line] = await c.waitForLines(1);
        names.push(line!.replace("it's from the host: ", ''));
        c.socket.destroy();
      }
      return names;
    };
    const lines = Object.keys(servers).concat(o.plainLineFor ? [`${o.plainLineFor}-plain`] : []);
    await until(
      () => Promise.all(lines.map((l) => stat(l))).catch(() => []),
      (s) => s.length === lines.length && s.every((x) => x.status === 'UP'),
    );
    return { front, servers, api, stat, newConnections, until, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
