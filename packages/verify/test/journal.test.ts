import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordProcess } from '@lvs-drain-kit/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultJournalPath, isRecordedProcessAlive, Journal, journalPaths } from '../src/journal.js';
import { undoDrains } from '../src/undo.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lvs-verify-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (port: number) => ({
  vip: { host: '172.16.0.113', port: 2100 },
  real: { host: '172.16.0.114', port },
  originalWeight: 1,
  driverDescription: 'ipvsadm via local',
  manualCommand: `ipvsadm -e -t 172.16.0.113:2100 -r 172.16.0.114:${port} -g -w 1`,
});

describe('journal', () => {
  it("lives under a named state directory, else root's is system-wide and an account's its own", () => {
    expect(defaultJournalPath({ XDG_STATE_HOME: '/s' }, 1000)).toBe('/s/lvs-drain-kit/journal.json');
    expect(defaultJournalPath({ LVS_VERIFY_STATE_DIR: '/x', XDG_STATE_HOME: '/s' }, 0)).toBe('/x/journal.json');
    expect(defaultJournalPath({ XDG_STATE_HOME: '/s' }, 0)).toBe('/s/lvs-drain-kit/journal.json');
    expect(defaultJournalPath({}, 0)).toBe('/var/lib/lvs-drain-kit/journal.json');
    expect(defaultJournalPath({}, 1000)).toBe(join(homedir(), '.local/state/lvs-drain-kit/journal.json'));
  });

  it("undo reads root's journal and the account's own, or only a named state directory", () => {
    const own = join(homedir(), '.local/state/lvs-drain-kit/journal.json');
    expect(journalPaths({}, 0)).toEqual(['/var/lib/lvs-drain-kit/journal.json', own]);
    expect(journalPaths({}, 1000)).toEqual([own, '/var/lib/lvs-drain-kit/journal.json']);
    expect(journalPaths({ XDG_STATE_HOME: '/s' }, 0)).toEqual(['/s/lvs-drain-kit/journal.json']);
  });

  it('adds, updates and removes; concurrent writers lose nothing', async () => {
    const path = join(dir, 'j', 'journal.json');
    // Separate instances, as two verifiers would have.
    const added = await Promise.all(Array.from({ length: 12 }, (_, i) => new Journal(path).add(entry(2000 + i))));
    expect((await new Journal(path).entries()).map((e) => e.real.port).sort()).toEqual(
      added.map((e) => e.real.port).sort(),
    );
    await new Journal(path).update(added[0]!.id, { keptDrained: true });
    await Promise.all(added.slice(1).map((e) => new Journal(path).remove(e.id)));
    const left = await new Journal(path).entries();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ id: added[0]!.id, keptDrained: true, pid: process.pid });
    expect(await readdir(join(dir, 'j'))).toEqual(['journal.json']);
  });

  it('records the run by PID and start time; the file goes when its last entry does', async () => {
    const path = join(dir, 'journal.json');
    const e = await new Journal(path).add(entry(2100));
    const me = await recordProcess(process.pid, []);
    expect([e.pid, e.startTime]).toEqual([process.pid, me.startTime]);
    expect(await isRecordedProcessAlive(e)).toBe(true);
    // The same PID started at another time is another process (a PID reused after the run died).
    expect(await isRecordedProcessAlive({ pid: e.pid, startTime: e.startTime! + 1 })).toBe(false);
    // An entry of an older version (no start time) must also name lvs-verify: this test runner does not.
    expect(await isRecordedProcessAlive({ pid: e.pid })).toBe(false);
    await new Journal(path).remove(e.id);
    expect(existsSync(path)).toBe(false);
    expect(await new Journal(path).entries()).toEqual([]);
  });

  it("a lock whose holder still runs is waited for, never taken over; a gone holder's is", async () => {
    const path = join(dir, 'journal.json');
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const rec = await recordProcess(holder.pid!, []);
      await writeFile(`${path}.lock`, JSON.stringify({ pid: rec.pid, startTime: rec.startTime }));
      const started = Date.now();
      let done = false;
      const adding = new Journal(path).add(entry(2100)).then(() => {
        done = true;
      });
      // Long past the holder's age, it still waits: age alone never frees a lock.
      await new Promise((r) => setTimeout(r, 400));
      expect(done).toBe(false);
      await expect(new Journal(path, { lockWaitMs: 200 }).add(entry(2101))).rejects.toThrow(
        new RegExp(`held by pid ${rec.pid}, which still runs: nothing was written`),
      );
      holder.kill('SIGKILL');
      await adding;
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect((await new Journal(path).entries()).map((x) => x.real.port)).toEqual([2100]);
      expect(existsSync(`${path}.lock`)).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it("takes over at once a lock whose PID now names another process, and an older version's stale empty lock", async () => {
    const path = join(dir, 'journal.json');
    const me = await recordProcess(process.pid, []);
    await writeFile(`${path}.lock`, JSON.stringify({ pid: process.pid, startTime: me.startTime! - 1 }));
    await new Journal(path, { lockWaitMs: 100 }).add(entry(2100));
    await writeFile(`${path}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, old, old);
    await new Journal(path, { lockWaitMs: 100 }).add(entry(2101));
    expect((await new Journal(path).entries()).map((x) => x.real.port)).toEqual([2100, 2101]);
    expect(await readdir(dir)).toEqual(['journal.json']);
  });

  it('a missing journal is empty', async () => {
    expect(await new Journal(join(dir, 'none.json')).entries()).toEqual([]);
  });
});

describe('undo over several journals', () => {
  it('reads each, says which it cannot read, and leaves a drain it cannot restore listed with its command', async () => {
    const mine = join(dir, 'mine.json');
    const roots = join(dir, 'root-journal');
    await mkdir(roots); // a journal path that cannot be read as a file
    const e = await new Journal(mine).add(entry(2100));
    // Written by a run that is gone.
    await new Journal(mine).update(e.id, { pid: 999_999_999, startTime: 1 });
    const lines: string[] = [];
    const r = await undoDrains({ journalPaths: [mine, roots], onLine: (l) => lines.push(l) });
    expect(r.unreadable).toEqual([{ path: roots, error: 'EISDIR' }]);
    expect(r.failed.map((f) => f.error)).toEqual(['the journal has no driver description']);
    expect(lines).toEqual([
      'cannot restore 172.16.0.114:2100 in 172.16.0.113:2100 (drained ' +
        `${e.drainedAt}) automatically; run by hand: ipvsadm -e -t 172.16.0.113:2100 -r 172.16.0.114:2100 -g -w 1`,
      `cannot read the journal ${roots} (EISDIR): check the file`,
    ]);
    expect(await new Journal(mine).entries()).toHaveLength(1);
  });

  it('nothing listed anywhere: says where it looked', async () => {
    const lines: string[] = [];
    const r = await undoDrains({
      journalPaths: [join(dir, 'a.json'), join(dir, 'b.json')],
      onLine: (l) => lines.push(l),
    });
    expect([r.restored, r.failed, r.unreadable]).toEqual([[], [], []]);
    expect(lines).toEqual([
      `nothing to undo: no journal lists a drained server (${join(dir, 'a.json')}, ${join(dir, 'b.json')})`,
    ]);
  });
});
