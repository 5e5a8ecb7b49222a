import { describe, expect, it } from 'vitest';
import { type WrrDest, WrrScheduler } from '../src/engines/builtin/wrr.js';

function sequence(dests: WrrDest[], n: number, s = new WrrScheduler(dests)): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    const k = s.schedule(dests);
    out += k === undefined ? '-' : 'ABCD'[k];
  }
  return out;
}

describe('WrrScheduler (ip_vs_wrr.c)', () => {
  it('weights 4, 3, 2 give the sequence the LVS documentation gives: AABABCABC', () => {
    expect(sequence([{ weight: 4 }, { weight: 3 }, { weight: 2 }], 18)).toBe('AABABCABC'.repeat(2));
  });

  it('equal weights alternate; a gcd above 1 steps by the gcd', () => {
    expect(sequence([{ weight: 1 }, { weight: 1 }], 6)).toBe('ABABAB');
    expect(sequence([{ weight: 4 }, { weight: 2 }], 6)).toBe('AABAAB');
  });

  it('weight 0 is never chosen, and with every weight 0 nothing is', () => {
    expect(sequence([{ weight: 0 }, { weight: 3 }], 5)).toBe('BBBBB');
    expect(sequence([{ weight: 0 }, { weight: 0 }], 3)).toBe('---');
  });

  it('a drain (weight → 0) and a restore take effect on the next schedule', () => {
    const dests = [{ weight: 1 }, { weight: 1 }];
    const s = new WrrScheduler(dests);
    expect(sequence(dests, 4, s)).toBe('ABAB');
    dests[0]!.weight = 0;
    s.destChanged(dests);
    expect(sequence(dests, 4, s)).toBe('BBBB');
    dests[0]!.weight = 1;
    s.destChanged(dests);
    expect(sequence(dests, 4, s)).toBe('ABAB');
  });

  it('skips overloaded servers', () => {
    expect(sequence([{ weight: 1, overloaded: true }, { weight: 1 }], 3)).toBe('BBB');
  });
});
