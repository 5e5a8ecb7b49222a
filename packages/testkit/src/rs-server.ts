/** The real rs-server binary for tests: started on a free port, ready once its banner is logged. */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { parseReadyBanner, RS_SERVER_BIN } from '@lvs-drain-kit/common';

export interface SpawnedServer {
  child: ChildProcess;
  port: number;
  host: string;
  /** Every JSON log record the server wrote so far. */
  records: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Resolves with the first record that matches (log records are written asynchronously). */
  waitForRecord(match: (r: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /**
   * Resolves with the exit code once the process ended and everything it wrote was read: `exit` of a
   * child can come before the last records of its stdout.
   */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Spawns the real rs-server binary on an ephemeral port and waits for its banner.
 * `args` are extra flags; logs are JSON on stdout.
 */
export async function spawnRsServer(args: string[] = [], host = '127.0.0.1'): Promise<SpawnedServer> {
  // With a log level above info there is no banner to read the port from: pick a free one up front.
  const quiet = args.includes('--log-level');
  const fixedPort = quiet ? await freePort(host) : 0;
  const child = spawn(
    process.execPath,
    [RS_SERVER_BIN, String(fixedPort), '--host', host, '--log-format', 'json', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const records: Array<Record<string, unknown>> = [];
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const rl = createInterface({ input: child.stdout! });
  const started = new Promise<number>((resolve, reject) => {
    if (quiet) {
      const deadline = Date.now() + 10_000;
      const tryConnect = () => {
        const s = connect({ port: fixedPort, host });
        s.once('connect', () => {
          s.destroy();
          resolve(fixedPort);
        });
        s.once('error', () => {
          if (Date.now() > deadline) reject(new Error(`rs-server did not start: ${err}`));
          else setTimeout(tryConnect, 50);
        });
      };
      tryConnect();
      return;
    }
    const timer = setTimeout(() => reject(new Error(`rs-server did not start: ${err}`)), 10_000);
    rl.on('line', (line) => {
      try {
        records.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        return; // not JSON: ignore
      }
      const port = parseReadyBanner(line);
      if (port !== undefined) {
        clearTimeout(timer);
        resolve(port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rs-server exited with ${code}: ${err}`));
    });
  });
  // A server that did not come up must not outlive the test that started it.
  const port = await started.catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    child,
    port,
    host,
    records,
    exited,
    async waitForRecord(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = records.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching log record in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stderr: () => err,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A port that was free a moment ago on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
