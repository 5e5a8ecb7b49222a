import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LVS_VERIFY_BIN = fileURLToPath(new URL('../../packages/verify/bin/lvs-verify.js', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stderr (progress) contains `text`. */
  waitForStderr(text: string, timeoutMs?: number): Promise<void>;
  done: Promise<RunResult>;
}

/** Spawns the real lvs-verify binary with its own state directory (journal, lab state). */
/** `ownGroup`: a process group of its own, so a test can signal it the way a terminal's Ctrl-C does. */
export function startVerify(args: string[], stateDir: string, timeoutMs = 60_000, ownGroup = false): Running {
  const child = spawn(process.execPath, [LVS_VERIFY_BIN, ...args], {
    env: { ...process.env, XDG_STATE_HOME: stateDir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.filter((x) => stderr.includes(x.text))) w.resolve();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<RunResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStderr(text, ms = 20_000) {
      if (stderr.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`stderr never showed "${text}":\n${stderr}`)), ms);
        waiters.push({
          text,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
    done,
  };
}

export function runVerify(args: string[], stateDir: string, timeoutMs?: number): Promise<RunResult> {
  return startVerify(args, stateDir, timeoutMs).done;
}

export async function tempDir(prefix = 'lvs-verify-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The short timings every end-to-end run uses. */
export const FAST = ['--hold', '1s', '--interval', '100ms', '--timeout', '1s', '--restore-timeout', '2s'];
