import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DriverSpec, RealServerRef } from '@lvs-drain-kit/drivers';

/** A drain that was applied and not yet put back. Written before the weight goes to 0. */
export interface JournalEntry {
  id: string;
  vip: RealServerRef;
  real: RealServerRef;
  originalWeight: number;
  /** How to rebuild the driver; absent when a driver instance was injected without one. */
  driverSpec?: DriverSpec;
  driverDescription: string;
  manualCommand: string;
  drainedAt: string;
  pid: number;
  /** `--no-restore`: left at 0 on purpose, still undoable. */
  keptDrained?: boolean;
}

/** `$LVS_VERIFY_STATE_DIR`, else `$XDG_STATE_HOME/lvs-drain-kit`, else `~/.local/state/lvs-drain-kit`. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LVS_VERIFY_STATE_DIR) return env.LVS_VERIFY_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'lvs-drain-kit');
}

export function defaultJournalPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'journal.json');
}

export class Journal {
  constructor(readonly path: string = defaultJournalPath()) {}

  async entries(): Promise<JournalEntry[]> {
    try {
      const data = JSON.parse(await readFile(this.path, 'utf8')) as { entries?: JournalEntry[] };
      return Array.isArray(data.entries) ? data.entries : [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async add(entry: Omit<JournalEntry, 'id' | 'drainedAt' | 'pid'>): Promise<JournalEntry> {
    const full: JournalEntry = { id: randomUUID(), drainedAt: new Date().toISOString(), pid: process.pid, ...entry };
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
    await mkdir(dirname(this.path), { recursive: true });
    const lock = `${this.path}.lock`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await (await open(lock, 'wx')).close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A lock older than the deadline belongs to a process that died holding it.
        const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
        if (age > 10_000 || Date.now() > deadline) await rm(lock, { force: true });
        else await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
    }
    try {
      await this.#write(f(await this.entries()));
    } finally {
      await rm(lock, { force: true });
    }
  }

  /** Write to a temporary file and rename: a crash never leaves half a journal. */
  async #write(entries: JournalEntry[]): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ entries }, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
