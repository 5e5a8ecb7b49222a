import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DriverSpec, RealServerRef } from './drivers/types.js';

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
    await this.#write([...(await this.entries()), full]);
    return full;
  }

  async update(id: string, patch: Partial<JournalEntry>): Promise<void> {
    await this.#write((await this.entries()).map((e) => (e.id === id ? { ...e, ...patch } : e)));
  }

  async remove(id: string): Promise<void> {
    await this.#write((await this.entries()).filter((e) => e.id !== id));
  }

  /** Write to a temporary file and rename: a crash never leaves half a journal. */
  async #write(entries: JournalEntry[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ entries }, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
