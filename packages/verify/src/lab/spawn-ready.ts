import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ReadyProcess<T> {
  child: ChildProcess;
  ready: T;
}

/**
 * Spawns a node script and waits for the first JSON line on stdout that `accept` turns into a value.
 * `logFile` (a file descriptor) receives stderr when the process is detached.
 */
export function spawnReady<T>(
  argv: string[],
  accept: (record: Record<string, unknown>) => T | undefined,
  options: { detached?: boolean; timeoutMs?: number } = {},
): Promise<ReadyProcess<T>> {
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', options.detached ? 'ignore' : 'pipe'],
    detached: options.detached ?? false,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv[0]} did not start within ${options.timeoutMs ?? 10_000} ms: ${stderr}`));
    }, options.timeoutMs ?? 10_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${argv[0]} exited with code ${code}: ${stderr.trim()}`));
    };
    child.once('exit', onExit);
    child.once('error', onExit);
    rl.on('line', (line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const value = accept(rec);
      if (value === undefined) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      // Keep draining stdout so the child never blocks on a full pipe; detached ones stop logging to us.
      if (options.detached) {
        rl.close();
        child.stdout?.destroy();
        child.unref();
      }
      resolve({ child, ready: value });
    });
  });
}
