import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const CLIENT_BIN = fileURLToPath(new URL('../../packages/client/bin/lvs-client.js', import.meta.url));

export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs lvs-client to the end with `input` on its stdin (a pipe: scripted mode); killed after `timeoutMs`. */
export async function runClient(args: string[], input = '', timeoutMs = 15_000): Promise<ClientRun> {
  const child = spawn(process.execPath, [CLIENT_BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A long-running lvs-client (e.g. `listen`) with its stdin left open. */
export function startClient(args: string[]): {
  child: ChildProcess & { stdin: NonNullable<ChildProcess['stdin']> };
  stdout: () => string;
  stderr: () => string;
  waitFor(which: 'stdout' | 'stderr', test: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<number | null>;
} {
  const child = spawn(process.execPath, [CLIENT_BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out.stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    out.stderr += d;
  });
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    async waitFor(which, test, timeoutMs = 8_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = test.exec(out[which]);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`timed out waiting for ${test} on ${which}:\n${out[which]}\nstderr:\n${out.stderr}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const closed = once(child, 'close');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      const [code] = (await closed) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
}
