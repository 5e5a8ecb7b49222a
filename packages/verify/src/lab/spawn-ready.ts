import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ReadyProcess<T> {
  child: ChildProcess;
  ready: T;
}

/**
 * Spawns a node script and waits for the first JSON line on stdout that `accept` turns into a value.
 * `background` processes (`lab up`) outlive this one: their output is dropped once they are ready.
 */
export function spawnReady<T>(
  argv: string[],
  accept: (record: Record<string, unknown>) => T | undefined,
  options: { background?: boolean; timeoutMs?: number } = {},
): Promise<ReadyProcess<T>> {
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', options.background ? 'ignore' : 'pipe'],
    // Always a process group of its own: a Ctrl-C at the terminal reaches the verifier, which restores
    // the weight through the director before stopping the lab, and not the lab processes directly.
    detached: true,
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
      // Keep draining stdout so the child never blocks on a full pipe; background ones stop logging to us.
      if (options.background) {
        rl.close();
        child.stdout?.destroy();
        child.unref();
      }
      resolve({ child, ready: value });
    });
  });
}
