import type { Failure, LoopDelaySummary, PhaseId } from '../report/types.js';

/** A span in which the verifier's own event loop did not run, in the failures' time base (ms since the drain). */
export interface Stall {
  startMs: number;
  endMs: number;
}

/**
 * A phase whose worst event-loop delay reaches this share of the per-reply timeout is one in which
 * the verifier itself, not the server, may have made a reply late.
 */
export const OVERLOAD_FRACTION = 0.5;

/** Milliseconds of stalls inside [fromMs, toMs]. */
export function stalledWithin(stalls: readonly Stall[], fromMs: number, toMs: number): number {
  let total = 0;
  for (const s of stalls) total += Math.max(0, Math.min(s.endMs, toMs) - Math.max(s.startMs, fromMs));
  return Math.round(total);
}

/** A warning when a phase's worst loop delay came near the timeout: the verifier was overloaded there. */
export function overloadWarning(
  phase: PhaseId,
  d: LoopDelaySummary,
  timeoutMs: number,
  fraction = OVERLOAD_FRACTION,
): string | undefined {
  if (d.max < timeoutMs * fraction) return undefined;
  const share = Math.round((d.max / timeoutMs) * 100);
  return `the verifier was overloaded during ${phase}: its own event loop ran up to ${Math.round(d.max)} ms late (p99 ${Math.round(d.p99)} ms), ${share}% of the ${timeoutMs} ms timeout — a late reply there may be the verifier's doing, not the server's`;
}

/**
 * Timeouts that happened while the verifier's own loop stood still for at least `fraction` of the
 * timeout: the reply may have been there, unread. Returns the failures with `verifierStalledMs` and a
 * note in `detail`; the others unchanged.
 */
export function markStalledTimeouts(
  failures: readonly Failure[],
  stalls: readonly Stall[],
  timeoutMs: number,
  fraction = OVERLOAD_FRACTION,
): Failure[] {
  return failures.map((f) => {
    if (f.class !== 'timeout') return f;
    const stalled = stalledWithin(stalls, f.atMs - timeoutMs, f.atMs);
    if (stalled < timeoutMs * fraction) return f;
    const note = `verifier stalled ${stalled} ms`;
    return { ...f, detail: f.detail ? `${f.detail}; ${note}` : note, verifierStalledMs: stalled };
  });
}

/** A verifier busy this much of one core has no time to spare: its pace is its own limit. */
export const BUSY_CPU_PERCENT = 90;

/**
 * The hold's rounds against what the interval allows; a note when they fell behind, saying why. Only a
 * verifier busy sending and reading lines (`cpuPercent`: its CPU time over the hold, 100 = one core) is
 * helped by a longer --interval or fewer --connections; when replies that never came (`timeouts`) or
 * slow replies held the rounds back, that advice would point away from the problem.
 */
export function paceWarning(
  rounds: number,
  expectedRounds: number,
  intervalMs: number,
  cpuPercent: number,
  timeouts = 0,
): string | undefined {
  // One round short is the loop's edge (the last round may start just after the end); more is lateness.
  if (rounds >= expectedRounds - 1) return undefined;
  const head = `the hold got through ${rounds} of ${expectedRounds} rounds of a line every ${intervalMs} ms`;
  if (cpuPercent >= BUSY_CPU_PERCENT)
    return `${head}: the verifier itself was the limit (it used ${Math.round(cpuPercent)}% of a core sending and reading lines); a longer --interval or fewer --connections gives every line its full interval`;
  if (timeouts > 0)
    return `${head}: rounds waited for replies that never came (${timeouts} connection${timeouts === 1 ? '' : 's'} timed out, see old-connections-survive); the verifier had time to spare (${Math.round(cpuPercent)}% of a core)`;
  return `${head}: the verifier had time to spare (it used ${Math.round(cpuPercent)}% of a core), so the replies set the pace: the servers, the director, or the machine they share`;
}

/** Rounds the hold starts when each takes no longer than the interval. */
export function expectedRounds(holdMs: number, intervalMs: number): number {
  return Math.max(1, Math.ceil(holdMs / intervalMs));
}
