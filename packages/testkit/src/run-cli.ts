/**
 * Runs the real binaries of this repository the way a user does — node, the bin script, arguments — and
 * captures what they print. Every run is bounded: a process still running after `timeoutMs` is killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { DrainReport } from './report.js';

export { RS_SERVER_BIN } from '@lvs-drain-kit/common';
export const LVS_CLIENT_BIN = fileURLToPath(new URL('../../client/bin/lvs-client.js', import.meta.url));
export const LVS_VERIFY_BIN = fileURLToPath(new URL('../../verify/bin/lvs-verify.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, which is then closed (scripted input). Without it stdin is /dev/null, unless `keepStdinOpen`. */
  input?: string;
  /** stdin stays an open pipe (`child.stdin`), e.g. for `lvs-client listen`. */
  keepStdinOpen?: boolean;
  /** Added to this process's environment (which always gets NO_COLOR=1). */
  env?: Record<string, string>;
  /** SIGKILL after this long; default 60 s. */
  timeoutMs?: number;
  /** A process group of its own, so a test can signal the whole group as a terminal's Ctrl-C does. */
  ownGroup?: boolean;
  /** What runs `node bin ...args`, e.g. `ip netns exec NS` (then `node` is exec'd: signals reach it). */
  prefix?: readonly string[];
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `test` in the output; rejects after `timeoutMs` or when the process ends first. */
  waitFor(which: 'stdout' | 'stderr', test: RegExp | string, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited and its output is closed. */
  done: Promise<CliRun>;
  /** SIGTERM, then SIGKILL after 3 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Starts `node bin ...args` and captures its output. */
export function startCli(bin: string, args: string[], options: CliOptions = {}): RunningCli {
  const piped = options.input !== undefined || options.keepStdinOpen === true;
  const [command, ...argv] = [...(options.prefix ?? []), process.execPath, bin, ...args];
  const child = spawn(command!, argv, {
    stdio: [piped ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    detached: options.ownGroup ?? false,
  });
  const out = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out.stdout += d;
    wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    out.stderr += d;
    wake();
  });
  if (options.input !== undefined) {
    // A process that exits before reading its input is not this helper's failure.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input);
  }
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  let closed = false;
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      closed = true;
      wake();
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr });
    });
  });
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    waitFor(which, test, timeoutMs = 20_000) {
      const pattern = typeof test === 'string' ? new RegExp(literally(test)) : test;
      return new Promise((resolve, reject) => {
        const finish = (err?: Error, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(m!);
        };
        const fail = (why: string) =>
          finish(new Error(`${why} waiting for ${pattern} on ${which}:\n${out[which]}\nstderr:\n${out.stderr}`));
        const check = () => {
          const m = pattern.exec(out[which]);
          if (m) finish(undefined, m);
          else if (closed) fail(`the process exited (${child.exitCode ?? child.signalCode})`);
        };
        const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    done,
    async stop() {
      if (!closed && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await once(child, 'close');
        clearTimeout(timer);
      } else await done;
      return child.exitCode;
    },
  };
}

/** Runs `node bin ...args` to the end. */
export function runCli(bin: string, args: string[], options: CliOptions = {}): Promise<CliRun> {
  return startCli(bin, args, options).done;
}

/** lvs-client with `input` on a closed stdin pipe: scripted mode. */
export function runClient(args: string[], input = '', timeoutMs = 15_000): Promise<CliRun> {
  return runCli(LVS_CLIENT_BIN, args, { input, timeoutMs });
}

/** A long-running lvs-client (e.g. `listen`) with its stdin left open. */
export function startClient(args: string[], timeoutMs = 60_000): RunningCli & { child: { stdin: Writable } } {
  return startCli(LVS_CLIENT_BIN, args, { keepStdinOpen: true, timeoutMs }) as RunningCli & {
    child: { stdin: Writable };
  };
}

export interface RunningVerify extends RunningCli {
  /** Resolves when stderr (the progress lines) contains `text`. */
  waitForStderr(text: string, timeoutMs?: number): Promise<void>;
}

/**
 * The real lvs-verify binary with its own state directory (`XDG_STATE_HOME`: its journal and lab state
 * live there, never in the user's home). `ownGroup`: see `CliOptions`.
 */
export function startVerify(args: string[], stateDir: string, timeoutMs = 60_000, ownGroup = false): RunningVerify {
  const run = startCli(LVS_VERIFY_BIN, args, { env: { XDG_STATE_HOME: stateDir }, timeoutMs, ownGroup });
  return { ...run, waitForStderr: async (text, ms) => void (await run.waitFor('stderr', text, ms)) };
}

export function runVerify(args: string[], stateDir: string, timeoutMs?: number): Promise<CliRun> {
  return startVerify(args, stateDir, timeoutMs).done;
}

/**
 * `lvs-verify ARGS --json` (drain-test, maintain …): the run, and the report it printed, typed as lvs-verify
 * declares it (`R`: DrainReport, MaintainReport). Output that is not JSON throws, with what was printed.
 */
export async function runVerifyJson<R = DrainReport>(
  args: string[],
  stateDir: string,
  timeoutMs?: number,
): Promise<CliRun & { report: R }> {
  const r = await runVerify([...args, '--json'], stateDir, timeoutMs);
  try {
    return { ...r, report: JSON.parse(r.stdout) as R };
  } catch {
    throw new Error(`lvs-verify ${args.join(' ')} --json printed no JSON (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  }
}

/** lvs-verify's flags for the haproxy driver on a runtime API socket: its backend, and the server where named. */
export function haproxyDriverFlags(socket: string, backend: string, server?: string): string[] {
  return [
    '--driver',
    'haproxy',
    '--haproxy-socket',
    socket,
    '--haproxy-backend',
    backend,
    ...(server ? ['--haproxy-server', server] : []),
  ];
}
