/**
 * The restore's guard: the original weight goes back only while the director still has the weight this
 * run set (0). Someone who changed it meanwhile — put it back by hand, or drained it for their own
 * reasons — is not overwritten. Without a compare-and-set on the director a change between the read
 * and the write can still slip through; the window is one read-back long.
 */
import type { DrainDriver, RealServerRef, ServiceRef } from '@lvs-drain-kit/drivers';
import { setWeightVerified } from '../run/set-weight-verified.js';

export type GuardedRestore =
  | { restored: true; readBack: number | undefined; setAt: number }
  | { restored: false; current: number };

export async function restoreIfStillOurs(
  driver: DrainDriver,
  service: ServiceRef,
  real: RealServerRef,
  weight: number,
  ours = 0,
): Promise<GuardedRestore> {
  const current = await driver.getWeight(service, real);
  if (current !== undefined && current !== ours) return { restored: false, current };
  const r = await setWeightVerified(driver, service, real, weight);
  return { restored: true, readBack: r.readBack, setAt: r.setAt };
}
