/**
 * How a check's status reads in every report (text, HTML, maintain's): one word and one mark each, in
 * one colour each, so a status looks the same wherever it is shown.
 */
import type pc from 'picocolors';
import type { CheckStatus } from './types.js';

type Colors = ReturnType<typeof pc.createColors>;

/** Four letters each; `inconclusive` (nothing observed) is VOID, not one a hurried reader takes for a pass. */
export const STATUS_WORD: Record<CheckStatus, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  skip: 'SKIP',
  inconclusive: 'VOID',
};

const STATUS_MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '–', inconclusive: '–' };

const STATUS_COLOR: Record<CheckStatus, 'green' | 'red' | 'yellow' | 'dim'> = {
  pass: 'green',
  fail: 'red',
  warn: 'yellow',
  skip: 'dim',
  inconclusive: 'yellow',
};

/** `PASS`, `FAIL` … in its colour. */
export function badge(status: CheckStatus, c: Colors): string {
  return c[STATUS_COLOR[status]](STATUS_WORD[status]);
}

/** `✓`, `✗` … in its colour: a status in a row of steps. */
export function mark(status: CheckStatus, c: Colors): string {
  return c[STATUS_COLOR[status]](STATUS_MARK[status]);
}
