import { describe, expect, it } from 'vitest';
import {
  expectedRounds,
  markStalledTimeouts,
  overloadWarning,
  paceWarning,
  stalledWithin,
} from '../src/measure/overload.js';
import type { Failure } from '../src/report/types.js';

const failure = (cls: Failure['class'], atMs: number, detail = 'no reply within 500 ms'): Failure => ({
  class: cls,
  connection: `old#${atMs}`,
  server: 'rs1',
  atMs,
  detail,
});

describe('the verifier telling its own slowness from the server', () => {
  it('adds up the stalls inside a window, clipped at its edges', () => {
    const stalls = [
      { startMs: 100, endMs: 300 },
      { startMs: 900, endMs: 1000 },
    ];
    expect(stalledWithin(stalls, 0, 2000)).toBe(300);
    expect(stalledWithin(stalls, 200, 950)).toBe(150);
    expect(stalledWithin(stalls, 400, 800)).toBe(0);
    expect(stalledWithin([], 0, 10)).toBe(0);
  });

  it('warns about a phase whose worst loop delay reaches half the timeout, and only then', () => {
    expect(overloadWarning('hold', { p50: 1, p99: 40, max: 249 }, 500)).toBeUndefined();
    const w = overloadWarning('hold', { p50: 1, p99: 284, max: 751 }, 2000);
    expect(w).toBeUndefined();
    const over = overloadWarning('hold', { p50: 1, p99: 284, max: 1200 }, 2000);
    expect(over).toContain('the verifier was overloaded during hold');
    expect(over).toContain('1200 ms late (p99 284 ms), 60% of the 2000 ms timeout');
    expect(overloadWarning('spread', { p50: 0, p99: 0, max: 250 }, 500)).toContain('during spread');
  });

  it('marks a timeout that came while the verifier stood still for half the timeout or more', () => {
    // Replies may take 500 ms; the verifier's loop stood still from +1000 to +1400 ms.
    const stalls = [{ startMs: 1000, endMs: 1400 }];
    const failures = [
      failure('timeout', 1410), // window 910..1410: 400 ms stalled
      failure('timeout', 3000), // window 2500..3000: nothing stalled
      failure('timeout', 1150), // window 650..1150: 150 ms stalled, under the margin
      failure('reset', 1410, 'ECONNRESET'), // a reset is the server's (or the network's) whatever the verifier did
    ];
    const marked = markStalledTimeouts(failures, stalls, 500);
    expect(marked[0]).toEqual({
      ...failures[0],
      detail: 'no reply within 500 ms; verifier stalled 400 ms',
      verifierStalledMs: 400,
    });
    expect(marked.slice(1)).toEqual(failures.slice(1));
    expect(markStalledTimeouts([failure('timeout', 1410, '')], stalls, 500)[0]!.detail).toBe('verifier stalled 400 ms');
  });

  it('reports hold rounds behind the interval, with one round of slack at the edge', () => {
    expect(expectedRounds(5000, 200)).toBe(25);
    expect(expectedRounds(600, 50)).toBe(12);
    expect(expectedRounds(100, 200)).toBe(1);
    expect(paceWarning(25, 25, 200, 99)).toBeUndefined();
    expect(paceWarning(24, 25, 200, 99)).toBeUndefined();
    expect(paceWarning(14, 25, 200, 97)).toBe(
      'the hold got through 14 of 25 rounds of a line every 200 ms: the verifier itself was the limit (it used 97% of a core sending and reading lines); a longer --interval or fewer --connections gives every line its full interval',
    );
    const slow = paceWarning(14, 25, 200, 30);
    expect(slow).toContain('the verifier had time to spare (it used 30% of a core), so the replies set the pace');
    // Advice to slow the verifier down is for a verifier that was the limit, not for a server that was slow.
    expect(slow).not.toContain('--interval');
    const hung = paceWarning(8, 13, 200, 5, 4);
    expect(hung).toBe(
      'the hold got through 8 of 13 rounds of a line every 200 ms: rounds waited for replies that never came (4 connections timed out, see old-connections-survive); the verifier had time to spare (5% of a core)',
    );
  });
});
