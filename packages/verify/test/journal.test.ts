import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultJournalPath, Journal } from '../src/journal.js';

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
  it('lives under the state directory', () => {
    expect(defaultJournalPath({ XDG_STATE_HOME: '/s' })).toBe('/s/lvs-drain-kit/journal.json');
    expect(defaultJournalPath({ LVS_VERIFY_STATE_DIR: '/x', XDG_STATE_HOME: '/s' })).toBe('/x/journal.json');
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

  it('a missing journal is empty', async () => {
    expect(await new Journal(join(dir, 'none.json')).entries()).toEqual([]);
  });
});
