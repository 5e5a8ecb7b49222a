import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export interface ReadyProcess<T> {
  child: ChildProcess;
  ready: T;
}

export interface SpawnReadyOptions {
  /**
   * Background processes (`lab up`) outlive this one: their output goes to this file, never to a pipe
   * that closes when we exit (a logger writing into a closed pipe can hang the process on shutdown).
   */
  logFile?: string;
  timeoutMs?: number;
}

/** Spawns a node script and waits for the first JSON output line that `accept` turns into a value. */
export function spawnReady<T>(
  argv: string[],
  accept: (record: Record<string, unknown>) => T | undefined,
  options: SpawnReadyOptions = {},
): Promise<ReadyProcess<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const logFd = options.logFile ? openSync(options.logFile, 'a') : undefined;
  const child = spawn(process.execPath, argv, {
    stdio: logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
    // Always a process group of its own: a Ctrl-C at the terminal reaches the verifier, which restores
    // the weight through the director before stopping the lab, and not the lab processes directly.
    detached: true,
  });
  if (logFd !== undefined) closeSync(logFd);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  const parse = (line: string): T | undefined => {
    try {
      return accept(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return undefined;
    }
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      child.off('exit', onExit);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else {
        if (logFd !== undefined) child.unref();
        resolve({ child, ready: value as T });
      }
    };
    const output = async () =>
      stderr || (options.logFile ? (await readFile(options.logFile, 'utf8').catch(() => '')).slice(-2000) : '');
    const timer = setTimeout(async () => {
      finish(new Error(`${argv[0]} did not start within ${timeoutMs} ms: ${(await output()).trim()}`));
    }, timeoutMs);
    const onExit = async (code: number | null) => {
      finish(new Error(`${argv[0]} exited with code ${code}: ${(await output()).trim()}`));
    };
    child.once('exit', onExit);
    let poll: NodeJS.Timeout | undefined;
    if (logFd === undefined) {
      // Keep reading stdout after the ready line too, so the child never blocks on a full pipe.
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const value = parse(line);
        if (value !== undefined) finish(undefined, value);
      });
    } else {
      poll = setInterval(async () => {
        const text = await readFile(options.logFile!, 'utf8').catch(() => '');
        for (const line of text.split('\n')) {
          const value = parse(line);
          if (value !== undefined) return finish(undefined, value);
        }
      }, 50);
    }
  });
}
