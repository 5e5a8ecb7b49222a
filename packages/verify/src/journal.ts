/**
 * The journal: every drain a run applied and has not put back yet, written before the weight goes to 0,
 * so `lvs-verify undo` can put it back after a crash, a kill or --no-restore. Root's runs keep one
 * system-wide journal (a drain made with sudo is found from any account); other accounts keep their own.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { EnvironmentError, isStillOurs, type RecordedProcess, recordProcess } from '@lvs-drain-kit/common';
import type { DriverSpec, RealServerRef } from '@lvs-drain-kit/drivers';

/** A drain that was applied and not yet put back. Written before the weight goes to 0. */
export interface JournalEntry {
  id: string;
  vip: RealServerRef;
  real: RealServerRef;
  /** The real server's name, where the run knew it (`lvs-verify undrain NAME`). */
  name?: string;
  /** Absent where the driver cannot read it and its way back needs none (a command without {weight}). */
  originalWeight?: number;
  /** How to rebuild the driver; absent when a driver instance was injected without one. */
  driverSpec?: DriverSpec;
  driverDescription: string;
  manualCommand: string;
  drainedAt: string;
  /** The run that wrote it: its PID and its start time (/proc/PID/stat), which a later process with the PID has not. */
  pid: number;
  startTime?: number;
  /** `--no-restore`: left at 0 on purpose, still undoable. */
  keptDrained?: boolean;
}

/** Where root's runs keep their journal: one place whatever account ran sudo. */
export const SYSTEM_STATE_DIR = '/var/lib/lvs-drain-kit';

/** `$LVS_VERIFY_STATE_DIR`, else `$XDG_STATE_HOME/lvs-drain-kit`, else `~/.local/state/lvs-drain-kit`: this account's. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LVS_VERIFY_STATE_DIR) return env.LVS_VERIFY_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'lvs-drain-kit');
}

/** A state directory named in the environment: then it is the only place a journal is kept or looked for. */
function namedStateDir(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.LVS_VERIFY_STATE_DIR || env.XDG_STATE_HOME);
}

/**
 * The journal a run writes: under a state directory named by `$LVS_VERIFY_STATE_DIR` or
 * `$XDG_STATE_HOME`; else, for root, the system-wide /var/lib/lvs-drain-kit/journal.json; else
 * ~/.local/state/lvs-drain-kit/journal.json.
 */
export function defaultJournalPath(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): string {
  if (!namedStateDir(env) && uid === 0) return join(SYSTEM_STATE_DIR, 'journal.json');
  return join(stateDir(env), 'journal.json');
}

/**
 * The journals `undo` reads: the one a run writes and, unless a state directory is named, the
 * system-wide one and this account's own as well — a drain made with sudo and one made without.
 */
export function journalPaths(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): string[] {
  const paths = [defaultJournalPath(env, uid)];
  if (!namedStateDir(env)) paths.push(join(SYSTEM_STATE_DIR, 'journal.json'), join(stateDir(env), 'journal.json'));
  return [...new Set(paths)];
}

/** The journal's lock stayed with a process that still runs. */
export class JournalLockError extends EnvironmentError {
  override name = 'JournalLockError';
}

let self: Promise<RecordedProcess> | undefined;
/** This process as a journal records it: PID and start time. */
function thisProcess(): Promise<RecordedProcess> {
  self ??= recordProcess(process.pid, []);
  return self;
}

/**
 * Whether the process a journal recorded (a run, a lock holder) still runs: the same PID with the same
 * start time. Where /proc is missing the PID alone is asked; an entry without a start time (an older
 * version's) must also have lvs-verify in its command line.
 */
export async function isRecordedProcessAlive(p: { pid: number; startTime?: number | undefined }): Promise<boolean> {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(p.pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return isStillOurs({
    pid: p.pid,
    ...(p.startTime !== undefined ? { startTime: p.startTime } : {}),
    cmdlineMarkers: p.startTime === undefined ? ['lvs-verify'] : [],
  });
}

/** How long a writer waits for a lock whose holder still runs before it gives up (never takes it). */
const LOCK_WAIT_MS = 10_000;

export class Journal {
  readonly #lockWaitMs: number;

  constructor(
    readonly path: string = defaultJournalPath(),
    options: { lockWaitMs?: number } = {},
  ) {
    this.#lockWaitMs = options.lockWaitMs ?? LOCK_WAIT_MS;
  }

  async entries(): Promise<JournalEntry[]> {
    try {
      const data = JSON.parse(await readFile(this.path, 'utf8')) as { entries?: JournalEntry[] };
      return Array.isArray(data.entries) ? data.entries : [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async add(entry: Omit<JournalEntry, 'id' | 'drainedAt' | 'pid' | 'startTime'>): Promise<JournalEntry> {
    const me = await thisProcess();
    const full: JournalEntry = {
      id: randomUUID(),
      drainedAt: new Date().toISOString(),
      pid: me.pid,
      ...(me.startTime !== undefined ? { startTime: me.startTime } : {}),
      ...entry,
    };
    await this.#change((entries) => [...entries, full]);
    return full;
  }

  async update(id: string, patch: Partial<JournalEntry>): Promise<void> {
    await this.#change((entries) => entries.map((e) => (e.id === id ? { ...e, ...patch } : e)));
  }

  async remove(id: string): Promise<void> {
    await this.#change((entries) => entries.filter((e) => e.id !== id));
  }

  /** Read, change, write under a lock file: two verifiers on one host must not lose each other's entries. */
  async #change(f: (entries: JournalEntry[]) => JournalEntry[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o755 });
    const release = await this.#lock();
    try {
      await this.#write(f(await this.entries()));
    } finally {
      await release();
    }
  }

  /**
   * The lock file names its holder (PID and start time) from the moment it exists: it is written aside
   * and linked into place, which fails if another holds it. It is taken over only when that holder's
   * process is gone — never because it is old: a slow holder that still runs keeps it.
   */
  async #lock(): Promise<() => Promise<void>> {
    const lock = `${this.path}.lock`;
    const me = await thisProcess();
    const mine = `${lock}.${me.pid}.${randomUUID()}`;
    await writeFile(mine, JSON.stringify({ pid: me.pid, startTime: me.startTime }), { mode: 0o600 });
    const deadline = Date.now() + this.#lockWaitMs;
    try {
      for (;;) {
        try {
          await link(mine, lock);
          return () => rm(lock, { force: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const holder = await readHolder(lock);
        if (holder === 'gone') continue;
        if (holder === 'legacy' || (holder !== 'wait' && !(await isRecordedProcessAlive(holder)))) {
          await takeOver(lock, holder);
          continue;
        }
        if (Date.now() > deadline) {
          const who = holder === 'wait' ? 'another lvs-verify' : `pid ${holder.pid}, which still runs`;
          throw new JournalLockError(
            `${lock} is held by ${who}: nothing was written (remove the lock only if no lvs-verify runs)`,
          );
        }
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
    } finally {
      await rm(mine, { force: true });
    }
  }

  /** Write to a temporary file and rename: a crash never leaves half a journal. No entry left: no file. */
  async #write(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) {
      await rm(this.path, { force: true });
      return;
    }
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ entries }, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }
}

type Holder = { pid: number; startTime?: number };

/**
 * The lock's holder; for an empty lock an older version wrote (no holder named), `wait`, or `legacy` once
 * it is older than a writer waits; `gone` if it was released meanwhile.
 */
async function readHolder(lock: string): Promise<Holder | 'legacy' | 'wait' | 'gone'> {
  let text: string;
  try {
    text = await readFile(lock, 'utf8');
  } catch {
    return 'gone';
  }
  try {
    const h = JSON.parse(text) as Holder;
    if (Number.isInteger(h.pid)) return h;
  } catch {
    // not JSON: an older version's empty lock
  }
  const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
  return age > LOCK_WAIT_MS ? 'legacy' : 'wait';
}

/**
 * Removes the lock of a holder that is gone. Moved aside first and checked: if another writer took it
 * over in between, the lock moved is that writer's live one, and it goes back.
 */
async function takeOver(lock: string, holder: Holder | 'legacy'): Promise<void> {
  const aside = `${lock}.${process.pid}.${randomUUID()}.stale`;
  try {
    await rename(lock, aside);
  } catch {
    return; // released or taken over meanwhile
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  const same = holder === 'legacy' ? moved.trim() === '' : sameHolder(moved, holder);
  if (!same) await link(aside, lock).catch(() => {});
  await unlink(aside).catch(() => {});
}

function sameHolder(text: string, holder: Holder): boolean {
  try {
    const h = JSON.parse(text) as Holder;
    return h.pid === holder.pid && h.startTime === holder.startTime;
  } catch {
    return false;
  }
}
