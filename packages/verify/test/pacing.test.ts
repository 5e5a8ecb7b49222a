import { describe, expect, it } from 'vitest';
import { BATCH, paceSchedule, TurnGate } from '../src/run/pacing.js';

describe('pacing the hold', () => {
  it('keeps small counts one burst at the start of the round', () => {
    expect(paceSchedule(8, 200)).toEqual([{ offsetMs: 0, from: 0, to: 8 }]);
    expect(paceSchedule(BATCH, 200)).toEqual([{ offsetMs: 0, from: 0, to: BATCH }]);
    expect(paceSchedule(0, 200)).toEqual([]);
  });

  it('spreads many connections over the interval: each once, in order, at i * interval / n', () => {
    const n = 10_000;
    const slots = paceSchedule(n, 200);
    expect(slots.length).toBe(Math.ceil(n / BATCH));
    expect(slots[0]).toEqual({ offsetMs: 0, from: 0, to: expect.any(Number) });
    let next = 0;
    for (const s of slots) {
      expect(s.from).toBe(next);
      expect(s.to - s.from).toBeGreaterThan(0);
      expect(s.to - s.from).toBeLessThanOrEqual(BATCH);
      expect(s.offsetMs).toBeCloseTo((s.from * 200) / n, 9);
      next = s.to;
    }
    expect(next).toBe(n);
    expect(slots.at(-1)!.offsetMs).toBeLessThan(200);
  });

  it('lets one batch through per event-loop turn', async () => {
    const gate = new TurnGate();
    const order: string[] = [];
    const passes = [1, 2, 3].map((i) => gate.pass().then(() => order.push(`batch ${i}`)));
    // An immediate queued now runs in the first turn's check phase, before the gate's second pass.
    const marks = new Promise<void>((resolve) =>
      setImmediate(() => {
        order.push('turn 1');
        setImmediate(() => {
          order.push('turn 2');
          resolve();
        });
      }),
    );
    await Promise.all([...passes, marks]);
    expect(order.indexOf('batch 1')).toBeLessThan(order.indexOf('turn 2'));
    expect(order.indexOf('batch 2')).toBeGreaterThan(order.indexOf('turn 1'));
    expect(order.indexOf('batch 3')).toBeGreaterThan(order.indexOf('turn 2'));
  });
});
