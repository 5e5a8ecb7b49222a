import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../src/journal.js';
import { DrainState } from '../src/run/drain-state.js';

const entry: JournalEntry = {
  id: 'e1',
  vip: { host: '127.0.0.1', port: 80 },
  real: { host: '127.0.0.2', port: 8080 },
  originalWeight: 3,
  driverDescription: 'fake',
  manualCommand: 'set 3',
  drainedAt: '2025-01-01T00:00:00.000Z',
  pid: 1,
};
const origin = { weight: 3, entry };

describe('DrainState', () => {
  it('starts untouched: nothing to restore, nothing applied, no restore in the report', () => {
    const s = new DrainState();
    expect(s.stage).toBe('untouched');
    expect(s.mustRestore).toBe(false);
    expect(s.drainApplied).toBe(false);
    expect(s.origin).toBeUndefined();
    expect(s.report()).toEqual({ attempted: false, restored: false });
  });

  it('drained → restoring → restored: must restore until the restore starts; the report says restored', () => {
    const s = new DrainState();
    s.drainSucceeded(origin);
    expect(s.mustRestore).toBe(true);
    expect(s.drainApplied).toBe(true);
    expect(s.origin).toBe(origin);
    s.restoreStarted('set 3');
    expect(s.mustRestore).toBe(false);
    expect(s.report()).toEqual({ attempted: true, restored: false, weight: 3, manualCommand: 'set 3' });
    s.restoreSucceeded();
    expect(s.path).toEqual(['untouched', 'drained', 'restoring', 'restored']);
    expect(s.report()).toEqual({ attempted: true, restored: true, weight: 3, manualCommand: 'set 3' });
  });

  it('a failed drain command still must be restored, but counts as before the drain', () => {
    const s = new DrainState();
    s.drainFailed(origin);
    expect(s.mustRestore).toBe(true);
    expect(s.drainApplied).toBe(false);
    s.restoreStarted('set 3');
    s.restoreFailed('director went away');
    expect(s.stage).toBe('restore-failed');
    expect(s.drainApplied).toBe(false);
    expect(s.report()).toEqual({
      attempted: true,
      restored: false,
      weight: 3,
      manualCommand: 'set 3',
      error: 'director went away',
    });
  });

  it('--no-restore: kept drained, nothing left to restore and no restore attempted', () => {
    const s = new DrainState();
    s.drainSucceeded(origin);
    s.keptDrained();
    expect(s.mustRestore).toBe(false);
    expect(s.drainApplied).toBe(true);
    expect(s.report()).toEqual({ attempted: false, restored: false });
  });

  it('refuses moves a run never makes: a restore before a drain, a second drain, a second restore', () => {
    expect(() => new DrainState().restoreStarted('x')).toThrow('cannot go from untouched to restoring');
    expect(() => new DrainState().keptDrained()).toThrow('cannot go from untouched to kept-drained');
    const drained = new DrainState();
    drained.drainSucceeded(origin);
    expect(() => drained.drainFailed(origin)).toThrow('cannot go from drained to drain-failed');
    expect(() => drained.restoreSucceeded()).toThrow('cannot go from drained to restored');
    drained.restoreStarted('set 3');
    drained.restoreSucceeded();
    expect(() => drained.restoreStarted('set 3')).toThrow('cannot go from restored to restoring');
    const failed = new DrainState();
    failed.drainFailed(origin);
    expect(() => failed.keptDrained()).toThrow('cannot go from drain-failed to kept-drained');
  });
});
