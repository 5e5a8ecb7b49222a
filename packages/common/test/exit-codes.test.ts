import { describe, expect, it } from 'vitest';
import { exitCodeFrom, exitCodeTable, exitRule, NamedError, UsageError } from '../src/index.js';

describe('exitCodeTable', () => {
  const table = exitCodeTable({
    ok: [0, 'done'],
    usage: [2, 'bad flags'],
    sigint: [130, 'interrupted'],
  });

  it('gives each name its code, and the help rows in the order written', () => {
    expect(table.codes).toEqual({ ok: 0, usage: 2, sigint: 130 });
    expect(table.help).toEqual([
      [0, 'done'],
      [2, 'bad flags'],
      [130, 'interrupted'],
    ]);
  });

  it('feeds the exit rules: the first matching class wins, else the fallback', () => {
    class Special extends UsageError {}
    const rules = [exitRule(Special, 7), exitRule(UsageError, table.codes.usage)];
    expect(exitCodeFrom(new Special('x'), rules, 1)).toBe(7);
    expect(exitCodeFrom(new UsageError('x'), rules, 1)).toBe(2);
    expect(exitCodeFrom(new NamedError('x'), rules, 1)).toBe(1);
  });
});
