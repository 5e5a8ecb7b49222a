/**
 * How strong "no new connection reached the drained server" is. A director that still sends a share p
 * of new connections there goes unseen by n independent new connections with probability (1 − p)^n;
 * sizing n so that this is at most 5% gives the sample a stated power instead of a feeling. (16
 * connections, the old default, miss a 10% leak one time in five.)
 */
import type { DetectionPower } from '../report/types.js';

export const CONFIDENCE = 0.95;

/** New connections needed so that a leak of `share` (0 < share < 1) shows at least once with 95% confidence. */
export function samplesForLeak(share: number, confidence = CONFIDENCE): number {
  return Math.ceil(Math.log(1 - confidence) / Math.log(1 - share));
}

/** The smallest leak that `samples` new connections, none of them to the drained server, would have shown. */
export function detectableLeak(samples: number, confidence = CONFIDENCE): number {
  return samples > 0 ? 1 - (1 - confidence) ** (1 / samples) : 1;
}

export function detectionPower(samples: number, reached: number): DetectionPower {
  return { samples, reached, leak: detectableLeak(samples), confidence: CONFIDENCE };
}

/** `4.9%`, `0.5%`, `12%`: two significant digits; `up` rounds up (a bound is never overstated). */
export function percent(share: number, up = false): string {
  const p = share * 100;
  if (p <= 0) return '0%';
  const unit = 10 ** (Math.floor(Math.log10(p)) - 1);
  const round = up ? Math.ceil : Math.round;
  // toFixed drops the float noise of the multiplication (0.07 * 100 = 7.000000000000001).
  const v = Number((round(Number((p / unit).toFixed(9))) * unit).toFixed(10));
  return `${v}%`;
}

/** "a leak of ≥ 5% would have been seen with 95% confidence" (59 connections: 4.95%, rounded up). */
export function powerPhrase(power: DetectionPower): string {
  return `a leak of ≥ ${percent(power.leak, true)} would have been seen with ${percent(power.confidence)} confidence`;
}
