/**
 * Whether the weight 0 this run set still holds once the new connections are in. On a director where
 * something else owns the weight — keepalived writing its own weight back at a checker transition or a
 * reload, a health checker, a person — new connections reach the drained server without the load
 * balancer leaking anything: the drain was undone under the run. Such a run proved nothing about the
 * drain, and says so (an environment verdict, exit 3) instead of failing the load balancer.
 */
import { EnvironmentError } from '@lvs-drain-kit/common';
import type { RunContext } from './context.js';

/** The drained server's weight went back up during the run, not by this run. */
export class WeightDriftError extends EnvironmentError {
  override name = 'WeightDriftError';
  constructor(
    message: string,
    /** The weight the director reported instead of 0. */
    readonly weight: number,
  ) {
    super(message);
  }
}

/**
 * The drained server's weight now, when the driver reads one and it is no longer 0; undefined when it
 * still is 0 or cannot be read (a driver without a read-back proves the drain by connections alone).
 */
export async function driftedWeight(ctx: RunContext): Promise<number | undefined> {
  const o = ctx.options;
  if (o.driver.readsWeight === false) return undefined;
  let weight: number | undefined;
  try {
    weight = await o.driver.getWeight({ vip: o.vip }, o.drain);
  } catch {
    return undefined;
  }
  if (weight === undefined || weight === 0) return undefined;
  const s = ctx.server(ctx.drainedName);
  if (s) s.weightDuringDrain = weight;
  return weight;
}

/** The run's error when the weight drifted: what was seen, and what to do about it. */
export function weightDrift(ctx: RunContext, weight: number, reached: number): WeightDriftError {
  return new WeightDriftError(
    `the weight of ${ctx.drainedName} drifted during the run: the director reports ${weight}, not the 0 this run set${reached > 0 ? ` (the ${reached} new connections ${ctx.drainedName} answered are no load-balancer leak)` : ''}. Something else on the director writes that weight — keepalived at a health-check transition or a reload, a health checker, a person — so the drain was not tested: drain through what owns the weight (keepalived: --driver keepalived)`,
    weight,
  );
}
