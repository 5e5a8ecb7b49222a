/**
 * Runs the maintenance work (`--exec`) through /bin/sh -c in a process group of its own, keeping the
 * last 64 KiB of its output for the report and handing each line to `onLine` as it comes. A timeout or
 * an abort (SIGINT/SIGTERM) stops the whole group — an `ssh` under the shell too — with SIGTERM, then
 * SIGKILL five seconds later.
 */
import { spawn } from 'node:child_process';
import type { ExecReport } from '../report/maintain-types.js';

const KEEP_BYTES = 64 * 1024;
const KILL_AFTER_MS = 5000;

export interface ExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

export function runExec(command: string, options: ExecOptions): Promise<ExecReport> {
  const started = performance.now();
  return new Promise((resolve) => {
    let output = '';
    let truncated = false;
    let timedOut = false;
    const partial = { stdout: '', stderr: '' };
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (text: string) => {
      output += text;
      if (output.length > KEEP_BYTES) {
        output = output.slice(-KEEP_BYTES);
        truncated = true;
      }
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8').on('data', (text: string) => {
        keep(text);
        const lines = (partial[stream] + text).split('\n');
        partial[stream] = lines.pop() ?? '';
        for (const line of lines) options.onLine?.(line);
      });
    }
    let killTimer: NodeJS.Timeout | undefined;
    const stopGroup = () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // the group is gone already
        }
      };
      kill('SIGTERM');
      killTimer ??= setTimeout(() => kill('SIGKILL'), KILL_AFTER_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stopGroup();
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', stopGroup, { once: true });
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, error?: string) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', stopGroup);
      for (const rest of [partial.stdout, partial.stderr]) if (rest) options.onLine?.(rest);
      if (error) keep(`${error}\n`);
      resolve({
        command,
        exitCode,
        ...(signal ? { signal } : {}),
        timedOut,
        durationMs: Math.round(performance.now() - started),
        output,
        truncated,
      });
    };
    child.once('error', (err) => finish(null, null, `cannot run /bin/sh: ${err.message}`));
    child.once('close', (code, signal) => finish(code, signal));
  });
}
