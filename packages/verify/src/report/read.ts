/** A saved drain-test `--json` report read back (`lvs-verify report`), checked enough to be drawn. */
import { UsageError } from '../errors.js';
import type { DrainReport } from './types.js';

/** A drain-test `--json` report, checked enough that the page can be drawn from it. */
export function parseReport(text: string, file: string): DrainReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
  const r = value as Partial<DrainReport> | null;
  if (
    r?.tool !== 'lvs-verify' ||
    !Array.isArray(r.checks) ||
    !Array.isArray(r.servers) ||
    !Array.isArray(r.phases) ||
    typeof r.settings !== 'object' ||
    typeof r.verifier !== 'object'
  ) {
    throw new UsageError(`${file} is not a drain-test --json report of lvs-verify`);
  }
  const problem = r.timeline ? timelineProblem(r.timeline) : undefined;
  if (problem) throw new UsageError(`${file}: the timeline is damaged (${problem})`);
  return r as DrainReport;
}

/** What is wrong with a timeline's columns, if anything: they must line up for the page to be right. */
function timelineProblem(t: NonNullable<DrainReport['timeline']>): string | undefined {
  const columns = (o: Record<string, unknown>, names: string[]) => {
    const lengths = names.map((n) => (Array.isArray(o?.[n]) ? (o[n] as unknown[]).length : -1));
    return lengths.some((l) => l !== lengths[0]) ? -1 : lengths[0]!;
  };
  const old = columns(t.old, ['server', 'openedMs', 'connectTenths', 'probes']);
  const probes = columns(t.probes, ['sentMs', 'tookTenths', 'outcome']);
  const fresh = columns(t.fresh, ['kind', 'sentMs', 'connectTenths', 'outcome']);
  if (old < 0 || probes < 0 || fresh < 0) return 'columns of different lengths';
  if (t.old.probes.reduce((a, b) => a + b, 0) !== probes) return 'old.probes does not add up to the lines';
  const outcomes = Array.isArray(t.outcomes) ? t.outcomes.length : 0;
  const bad = (xs: number[]) => xs.some((o) => !Number.isInteger(o) || o < 0 || o >= outcomes);
  if (bad(t.probes.outcome) || bad(t.fresh.outcome) || bad(t.old.server)) return 'an outcome out of range';
  return undefined;
}
