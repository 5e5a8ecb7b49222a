/**
 * "Is the process we recorded still ours?" — asked before signalling a PID read back from a file.
 * A PID alone is not enough: once a process exits the kernel hands its number to the next one. So a
 * recorded process carries the start time the kernel gave it (/proc/PID/stat field 22, clock ticks after
 * boot: a reused PID starts later) and strings its command line must contain. A zombie is not running.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RecordedProcess {
  pid: number;
  /** /proc/PID/stat field 22 when it was recorded; absent: not compared (a record from an older version). */
  startTime?: number;
  /** Strings the command line must contain (joined by spaces) before the process may be signalled. */
  cmdlineMarkers: string[];
}

/** What /proc says about a process. */
export interface ProcessSnapshot {
  pid: number;
  /** R, S, D, Z (zombie), T … */
  state: string;
  ppid: number;
  startTime: number;
  argv: string[];
}

/** The fields of /proc/PID/stat this module needs; the command name may contain spaces and ")". */
export function parseProcStat(text: string): { state: string; ppid: number; startTime: number } {
  // Fields after the ")" that closes the command name start at field 3 (state).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', ppid: Number(fields[1]), startTime: Number(fields[22 - 3]) };
}

function snapshot(pid: number, stat: string, cmdline: string): ProcessSnapshot {
  return { pid, ...parseProcStat(stat), argv: cmdline.split('\0').filter(Boolean) };
}

/** The process as /proc shows it now, or undefined when there is none. */
export async function readProcess(pid: number): Promise<ProcessSnapshot | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const [stat, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
    ]);
    return snapshot(pid, stat, cmdline);
  } catch {
    return undefined;
  }
}

export function readProcessSync(pid: number): ProcessSnapshot | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return snapshot(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'), readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Running (present and not a zombie). Says nothing about whose process it is. */
export function isRunning(p: ProcessSnapshot | undefined): p is ProcessSnapshot {
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

/** Pure: does this snapshot show the recorded process, still running? */
export function matchesRecord(record: RecordedProcess, p: ProcessSnapshot | undefined): boolean {
  if (!isRunning(p) || p.pid !== record.pid) return false;
  if (record.startTime !== undefined && p.startTime !== record.startTime) return false;
  const joined = p.argv.join(' ');
  return record.cmdlineMarkers.every((m) => joined.includes(m));
}

/**
 * A record of `pid` as it runs now. Call it right after starting the process: the start time is fixed
 * at fork, so a record made before the program's exec (command line not yet final) is still exact.
 */
export async function recordProcess(pid: number, cmdlineMarkers: string[]): Promise<RecordedProcess> {
  const p = await readProcess(pid);
  return { pid, ...(p ? { startTime: p.startTime } : {}), cmdlineMarkers };
}

export function recordProcessSync(pid: number, cmdlineMarkers: string[]): RecordedProcess {
  const p = readProcessSync(pid);
  return { pid, ...(p ? { startTime: p.startTime } : {}), cmdlineMarkers };
}

export async function isStillOurs(record: RecordedProcess): Promise<boolean> {
  return matchesRecord(record, await readProcess(record.pid));
}

export function isStillOursSync(record: RecordedProcess): boolean {
  return matchesRecord(record, readProcessSync(record.pid));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM, then SIGKILL after `graceMs` — only while the PID is still the recorded process.
 * Resolves false when it was not running (nothing was signalled).
 */
export async function stopRecordedProcess(
  record: RecordedProcess,
  options: { graceMs?: number } = {},
): Promise<boolean> {
  if (!(await isStillOurs(record))) return false;
  signal(record.pid, 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 2000);
  while (Date.now() < deadline) {
    if (!(await isStillOurs(record))) return true;
    await sleep(25);
  }
  if (await isStillOurs(record)) signal(record.pid, 'SIGKILL');
  for (let i = 0; i < 40 && (await isStillOurs(record)); i++) await sleep(25);
  return true;
}
