/**
 * Lab processes outlive `lab up`: each is started detached, in its own process group, writing to a log
 * file of its own that is made new at every start (a log left from an earlier lab is never read), and
 * recorded (PID, start time, command line) before anything waits on it.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStillOurs, type RecordedProcess, recordProcessSync } from '@lvs-drain-kit/common';
import { LabError } from './errors.js';

/** Peak and current resident memory of a process, in kB (from /proc/PID/status). */
export async function memoryOf(pid: number): Promise<{ rssKb: number; peakRssKb: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssKb: kb('VmRSS'), peakRssKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

export interface SpawnDetachedOptions {
  /** stdout and stderr go here; the file is emptied first. */
  logFile: string;
  /** Run inside this network namespace (`ip netns exec` execs in place: the PID is the program's own). */
  netns?: string;
  /** Strings of argv that identify the process later (see RecordedProcess). */
  cmdlineMarkers: string[];
}

/** Starts argv detached from this process, so it outlives `lab up`; returns its record. */
export function spawnDetached(argv: readonly string[], options: SpawnDetachedOptions): RecordedProcess {
  const fd = openSync(options.logFile, 'w', 0o600);
  try {
    const full = options.netns ? ['ip', 'netns', 'exec', options.netns, ...argv] : [...argv];
    const child = spawn(full[0]!, full.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined)
      throw new LabError(`cannot start ${argv[0]}${options.netns ? ` in ${options.netns}` : ''}`);
    // The start time is fixed at fork: exact even before the exec gives the process its final command line.
    return recordProcessSync(child.pid, options.cmdlineMarkers);
  } finally {
    closeSync(fd);
  }
}

/**
 * Waits for the first JSON line of `logFile` that `accept` turns into a value (a readiness banner).
 * Fails as soon as the process is gone, with the end of its log.
 */
export async function waitForLogRecord<T>(
  p: RecordedProcess & { role: string },
  logFile: string,
  accept: (record: Record<string, unknown>) => T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let checked = 0;
  for (;;) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    const lines = text.split('\n');
    // The last piece may be a line still being written: parse complete lines only, each once.
    for (; checked < lines.length - 1; checked++) {
      const value = parse(lines[checked]!, accept);
      if (value !== undefined) return value;
    }
    // Only a vanished process counts: while `ip netns exec` execs, the command line briefly matches nothing.
    if (!(await isStillOurs({ ...p, cmdlineMarkers: [] }))) {
      throw new LabError(`${p.role} exited: ${text.slice(-800).trim()}`);
    }
    if (Date.now() > deadline)
      throw new LabError(`${p.role} did not start within ${timeoutMs} ms: ${text.slice(-800).trim()}`);
    await sleep(20);
  }
}

function parse<T>(line: string, accept: (record: Record<string, unknown>) => T | undefined): T | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return accept(JSON.parse(line) as Record<string, unknown>);
  } catch {
    return undefined;
  }
}
