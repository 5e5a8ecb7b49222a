import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordedProcess } from './state.js';

/** argv of a running process, or undefined if it is gone or a zombie. */
export async function liveCmdline(pid: number): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the ")" that closes the command name.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** True while the recorded PID runs the recorded program (a reused PID does not count). */
export async function isRecordedAlive(p: RecordedProcess): Promise<boolean> {
  const argv = await liveCmdline(p.pid);
  if (!argv) return false;
  const joined = argv.join(' ');
  return p.cmdlineMarkers.every((m) => joined.includes(m));
}

/** SIGTERM, then SIGKILL after `graceMs`; only if the PID still runs the recorded command line. */
export async function stopRecorded(p: RecordedProcess, graceMs = 2000): Promise<void> {
  if (!(await isRecordedAlive(p))) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(p.pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isRecordedAlive(p))) return;
    await sleep(25);
  }
  signal('SIGKILL');
  for (let i = 0; i < 40 && (await isRecordedAlive(p)); i++) await sleep(25);
}

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

/**
 * Starts argv inside a namespace, detached from this process so the lab outlives `lab up`.
 * `ip netns exec` execs the command in place, so the PID returned is the program's own.
 */
export function spawnDetachedInNetns(netns: string, argv: readonly string[], logFile: string): number {
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${argv[0]} in ${netns}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}
