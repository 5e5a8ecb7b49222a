/**
 * The one way lvs-verify changes a weight: set it, read it back, retry. The drain, the restore (also
 * after SIGINT/SIGTERM and on every failure) and `lvs-verify undo` all go through here, so a director
 * that acknowledges a weight it did not take is caught the same way everywhere.
 */

import type { DrainDriver, RealServerRef, ServiceRef } from '@lvs-drain-kit/drivers';
import pRetry from 'p-retry';

/** The director reports another weight than the one just set, on every attempt. */
export class WeightNotAppliedError extends Error {
  override name = 'WeightNotAppliedError';
  constructor(
    /** The weight that was set. */
    readonly expected: number,
    /** The weight the director reported after the last attempt. */
    readonly actual: number,
  ) {
    super(`the director reports weight ${actual}, not ${expected}`);
  }
}

export interface SetWeightVerifiedOptions {
  /**
   * What a read-back that throws means. `fail` (the default): the weight is not proven, so the attempt
   * fails and is retried. `unknown`: treated like a driver that cannot read weights at all — the
   * drain's choice, whose proof is where new connections go rather than what the director says.
   */
  unreadable?: 'fail' | 'unknown';
}

export interface SetWeightResult {
  /** The weight read back (equal to the one set), or undefined where the driver cannot read it. */
  readBack: number | undefined;
  /** performance.now() when the director accepted the weight: the drain's clock starts here, not after the read-back. */
  setAt: number;
}

/**
 * The weight handed to a driver to put a server back: the original one, or 1 where the run could not read
 * it and the driver needs none (`restoreNeedsWeight: false`: every weight above 0 puts it back the same
 * way). The report and the journal keep the original as unknown.
 */
export function restoreWeightFor(originalWeight: number | undefined): number {
  return originalWeight ?? 1;
}

/** Attempts after the first; 200 ms, then 400 ms between them. */
const RETRIES = 2;

/**
 * Sets `weight` and reads it back, up to three times. Throws `WeightNotAppliedError` (naming the value
 * read) when the director keeps reporting another weight, or the driver's own error when setting (or,
 * by default, reading) fails on the last attempt.
 */
export async function setWeightVerified(
  driver: DrainDriver,
  service: ServiceRef,
  real: RealServerRef,
  weight: number,
  options: SetWeightVerifiedOptions = {},
): Promise<SetWeightResult> {
  return pRetry(
    async () => {
      await driver.setWeight(service, real, weight);
      const setAt = performance.now();
      let readBack: number | undefined;
      try {
        readBack = await driver.getWeight(service, real);
      } catch (err) {
        if (options.unreadable !== 'unknown') throw err;
      }
      if (readBack !== undefined && readBack !== weight) throw new WeightNotAppliedError(weight, readBack);
      return { readBack, setAt };
    },
    { retries: RETRIES, minTimeout: 200, maxTimeout: 1000 },
  );
}
