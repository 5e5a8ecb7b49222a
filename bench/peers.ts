/** The servers under test, each started fresh on loopback with a high file limit. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseReply, RS_SERVER_BIN, SHUTDOWN_LINE } from '@lvs-drain-kit/common';

const FLOOR = fileURLToPath(new URL('./floor-server.mjs', import.meta.url));
const JAVA_SEED = fileURLToPath(new URL('../../shared/peers/java-seed/run.sh', import.meta.url));

export interface PeerSpec {
  /** Short key used in the JSON. */
  id: string;
  label: string;
  /** Its listen backlog: connections are set up at most this many at a time. */
  acceptBacklog: number;
  argv(port: number): string[];
  env?: Record<string, string>;
}

/**
 * `balance: 'kernel'` runs the workers with NODE_CLUSTER_SCHED_POLICY=none: each accepts
 * on the shared socket itself (faster to accept, unevenly spread) instead of the primary
 * handing connections round-robin (Node's default on Linux).
 */
export const rsServer = (workers = 1, balance: 'rr' | 'kernel' = 'rr'): PeerSpec => ({
  id: workers > 1 ? `rs-server-w${workers}${balance === 'kernel' ? '-kernel' : ''}` : 'rs-server',
  label:
    workers > 1
      ? `rs-server --workers ${workers}${balance === 'kernel' ? ' (NODE_CLUSTER_SCHED_POLICY=none)' : ''}`
      : 'rs-server',
  acceptBacklog: 512,
  ...(balance === 'kernel' ? { env: { NODE_CLUSTER_SCHED_POLICY: 'none' } } : {}),
  argv: (port) => [
    process.execPath,
    RS_SERVER_BIN,
    String(port),
    '--host',
    '127.0.0.1',
    '--log-format',
    'json',
    '--shutdown-timeout',
    '1s',
    ...(workers > 1 ? ['--workers', String(workers)] : []),
  ],
});

export const nodeFloor: PeerSpec = {
  id: 'node-floor',
  label: 'minimal Node net server',
  acceptBacklog: 512,
  argv: (port) => [process.execPath, FLOOR, String(port), '127.0.0.1'],
};

export const javaSeed: PeerSpec = {
  id: 'java-seed',
  label: 'Java seed server',
  // new ServerSocket(port): a backlog of 50.
  acceptBacklog: 48,
  argv: (port) => [JAVA_SEED, String(port)],
};

/** The Java version, or why the Java peer cannot run here. */
export function javaStatus(): { version: string } | { missing: string } {
  if (!existsSync(JAVA_SEED)) return { missing: `${JAVA_SEED} not found` };
  try {
    // `java -version` writes to stderr.
    const out = execFileSync('sh', ['-c', 'command -v javac >/dev/null && java -version 2>&1'], { encoding: 'utf8' });
    return { version: out.split('\n')[0]?.trim() || 'unknown' };
  } catch {
    return { missing: 'java/javac not installed' };
  }
}

export interface RunningPeer {
  spec: PeerSpec;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the Java peer needs one named up front). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Asks for one reply and ends with "shutdown", so that even the Java peer
 * (whose thread spins once a client just closes) is left clean.
 */
export function probe(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write(`${SHUTDOWN_LINE}\n`));
    s.setEncoding('utf8').on('data', (d: string) => done(parseReply(d.split('\n')[0] ?? '') !== undefined));
  });
}

const RAISE_FILE_LIMIT = 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';

/** The file limit a server started here gets: 1,048,576 where it may be raised (root), else the hard limit. */
export function fileLimit(): number {
  const out = execFileSync('sh', ['-c', RAISE_FILE_LIMIT, 'sh', 'sh', '-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(out.trim());
  return Number.isFinite(n) ? n : 1024;
}

/** Starts a server with its stdout (the per-line log) going to `sink`; resolves once it answers. */
export async function startPeer(spec: PeerSpec, sink: string): Promise<RunningPeer> {
  const port = await freePort();
  const out = openSync(sink, 'a');
  let child: ChildProcess;
  try {
    child = spawn('sh', ['-c', RAISE_FILE_LIMIT, 'sh', ...spec.argv(port)], {
      stdio: ['ignore', out, 'pipe'],
      env: { ...process.env, ...spec.env },
    });
  } finally {
    closeSync(out);
  }
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  // The first Java start compiles the peer: allow for it.
  const deadline = Date.now() + 30_000;
  while (!(await probe(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.label} did not start: ${stderr.trim() || 'no answer'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { spec, pid: child.pid!, port, stop };
}
