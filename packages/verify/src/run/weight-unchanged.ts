/**
 * The `weight-unchanged` check: the weight this run set (0) is still the drained server's when the run
 * relies on it — before the new connections and before the restore. Something else changing it
 * meanwhile (a keepalived checker, a second operator, an orchestration run) is its own finding: the
 * checks after it are not about the drain, and the restore must not write over the other party's value.
 * The weight is read after the hold, after the new connections, and before the restore (or at the end
 * under --no-restore). Such a run ends with WeightDriftError, exit 4: the weight is the other party's,
 * not this run's, and a person decides (the report gives the command) — never a load-balancer FAIL.
 */
import type { DrainReport } from '../report/types.js';
import type { RunContext } from './context.js';

/** The weight a drain sets. */
export const DRAINED_WEIGHT = 0;

/**
 * Reads the drained server's weight (where the driver can) and records it; the first value that is not
 * the drained weight fails the check, naming both values and when it was seen. Returns the weight read.
 */
export async function watchWeight(ctx: RunContext, when: string): Promise<number | undefined> {
  const o = ctx.options;
  if (o.driver.readsWeight === false) return undefined;
  let weight: number | undefined;
  try {
    weight = await o.driver.getWeight({ vip: o.vip }, o.drain);
  } catch (err) {
    ctx.progress('hold', 'warn', `cannot re-read ${ctx.drainedName}'s weight ${when}: ${(err as Error).message}`);
  }
  if (weight === undefined) return undefined;
  const atMs = ctx.sinceDrain();
  const w = ctx.weightWatch;
  w.reads.push({ when, weight, atMs });
  if (weight !== DRAINED_WEIGHT && !w.drift) {
    w.drift = { from: DRAINED_WEIGHT, to: weight, when, atMs };
    ctx.check(
      'weight-unchanged',
      'fail',
      `${ctx.drainedName}'s weight changed from ${DRAINED_WEIGHT} (set by this run) to ${weight}, seen ${when} (${atMs} ms after the drain): something else changes this server's weight (a health checker, another operator); what the checks after it saw is not about the drain`,
    );
  }
  return weight;
}

/** The check's pass, once the last read is in: every read found the weight this run set. */
export function weightUnchangedVerdict(ctx: RunContext): void {
  const w = ctx.weightWatch;
  if (w.drift || w.reads.length === 0) return;
  ctx.check(
    'weight-unchanged',
    'pass',
    `${ctx.drainedName} kept weight ${DRAINED_WEIGHT} (this run's) through the test: read ${w.reads.map((r) => `${r.when} (${r.atMs} ms)`).join(', ')}`,
  );
}

/** Checks whose result a weight someone else changed makes meaningless: they say so. */
const AFFECTED = new Set([
  'old-connections-survive',
  'new-connections-avoid-drained',
  'reused-source-port',
  'persistence-templates',
  'new-connections-return',
]);

export function markChecksAfterDrift(ctx: RunContext): void {
  const d = ctx.weightWatch.drift;
  if (!d) return;
  for (const c of ctx.checks) {
    if (!AFFECTED.has(c.id) || c.status === 'skip') continue;
    c.message += ` — not about the drain: someone else set ${ctx.drainedName}'s weight to ${d.to} (weight-unchanged)`;
  }
}

/**
 * The run's error when the weight drifted: what was seen, and that nothing was written over it. Outranks
 * the restore's refusal (which it caused) and any check's result (which it voids).
 */
export function weightDriftError(ctx: RunContext): DrainReport['error'] {
  const d = ctx.weightWatch.drift;
  if (!d) return undefined;
  return {
    type: 'WeightDriftError',
    message: `the weight of ${ctx.drainedName} drifted during the run: the director reports ${d.to}, not the ${d.from} this run set (seen ${d.when}, ${d.atMs} ms after the drain). Something else writes that weight — keepalived at a health-check transition or a reload, a health checker, a person — so the drain was not tested and ${d.to} was left as it is: drain through what owns the weight (keepalived: --driver keepalived)`,
    beforeDrain: false,
  };
}
