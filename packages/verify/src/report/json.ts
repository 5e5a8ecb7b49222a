/**
 * The `--json` text: indented for people, but an array of plain values (the timeline's columns, a list
 * of classes) stays on one line, so a report of 10,000 connections is megabytes, not a million lines.
 */
import { randomBytes } from 'node:crypto';
import type { DrainReport } from './types.js';

const isFlat = (v: unknown): v is unknown[] => Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object');

export function stringifyReport(report: DrainReport): string {
  // JSON.stringify keeps its own rules (undefined, toJSON, escaping); flat arrays go through as marked
  // strings and are put back in one piece. The mark carries a random nonce, so no string in the report
  // can be taken for one.
  const mark = `@flat-${randomBytes(8).toString('hex')}-`;
  const flat: string[] = [];
  const text = JSON.stringify(
    report,
    (_key, value) => (isFlat(value) ? mark + (flat.push(JSON.stringify(value)) - 1) : value),
    2,
  );
  return text.replace(new RegExp(`"${mark}(\\d+)"`, 'g'), (_m, i: string) => flat[Number(i)]!);
}
