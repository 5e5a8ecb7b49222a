import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  isStillOurs,
  isStillOursSync,
  matchesRecord,
  parseProcStat,
  recordProcess,
  stopRecordedProcess,
} from '../src/recorded-process.js';

/** A child that runs until signalled; `ignoreTerm` makes it survive SIGTERM. */
function sleeper(marker: string, ignoreTerm = false) {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); console.log('ready'); // ${marker}`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = once(child, 'exit');
  // Ready once its handlers are in place (and its command line is the final one).
  const ready = once(child.stdout!, 'data');
  return { child, exited, ready, pid: child.pid! };
}

describe('recorded processes', () => {
  it('reads state, parent and start time past a command name with spaces and ")"', () => {
    const stat = `4242 (we ird) (x) S 17 4242 4242 0 -1 4194560 ${Array.from({ length: 12 }, (_, i) => i).join(' ')} 987654 0 0`;
    expect(parseProcStat(stat)).toEqual({ state: 'S', ppid: 17, startTime: 987654 });
  });

  it('a running process is ours by PID, start time and command line; not with another start time or marker', async () => {
    const p = sleeper('ldk-test-marker-a');
    try {
      await p.ready;
      const record = await recordProcess(p.pid, ['ldk-test-marker-a']);
      expect(record.startTime).toBeGreaterThan(0);
      expect(await isStillOurs(record)).toBe(true);
      expect(isStillOursSync(record)).toBe(true);
      // The same PID handed to another process: another start time.
      expect(await isStillOurs({ ...record, startTime: record.startTime! + 1 })).toBe(false);
      expect(await isStillOurs({ ...record, cmdlineMarkers: ['ldk-test-marker-b'] })).toBe(false);
      // A record without a start time (older state files) is checked by command line alone.
      expect(await isStillOurs({ pid: p.pid, cmdlineMarkers: ['ldk-test-marker-a'] })).toBe(true);
    } finally {
      p.child.kill('SIGKILL');
    }
    await p.exited;
    expect(await isStillOurs({ pid: p.pid, cmdlineMarkers: ['ldk-test-marker-a'] })).toBe(false);
  });

  it('a zombie is not running', () => {
    const zombie = { pid: 5, state: 'Z', ppid: 1, startTime: 10, argv: [] };
    expect(matchesRecord({ pid: 5, startTime: 10, cmdlineMarkers: [] }, zombie)).toBe(false);
    expect(matchesRecord({ pid: 5, startTime: 10, cmdlineMarkers: [] }, { ...zombie, state: 'S' })).toBe(true);
  });

  it('stops a process that ignores SIGTERM with SIGKILL after the grace time; leaves a stranger alone', async () => {
    const p = sleeper('ldk-test-marker-c', true);
    await p.ready;
    const record = await recordProcess(p.pid, ['ldk-test-marker-c']);
    expect(await stopRecordedProcess({ ...record, startTime: record.startTime! + 1 }, { graceMs: 100 })).toBe(false);
    expect(await isStillOurs(record)).toBe(true);
    expect(await stopRecordedProcess(record, { graceMs: 200 })).toBe(true);
    const [, signal] = await p.exited;
    expect(signal).toBe('SIGKILL');
  });
});
