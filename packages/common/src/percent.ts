/**
 * Shares as people type them: `5%`, `0.5%`. The sign is required, as a unit is for durations: `0.05`
 * and `5` would each be read one way by some and the other way by others.
 */
export class PercentError extends Error {
  override name = 'PercentError';
}

/** A share (0.05 for `5%`), strictly between 0% and 100%. */
export function parsePercent(input: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%)?\s*$/.exec(input);
  if (!m) throw new PercentError(`invalid percentage "${input}": expected e.g. 5%, 0.5%`);
  if (m[2] === undefined) throw new PercentError(`percentage "${input}" has no % sign: did you mean ${input.trim()}%?`);
  const share = Number(m[1]) / 100;
  if (!(share > 0 && share < 1)) throw new PercentError(`percentage "${input}" must be above 0% and below 100%`);
  return share;
}
