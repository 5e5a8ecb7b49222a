/** `--expect-status`: the HTTP statuses that count as an answer, e.g. `2xx,3xx` (the default), `200`, `200-204`. */

/** Inclusive ranges of status codes. */
export type StatusRanges = ReadonlyArray<readonly [number, number]>;

export const DEFAULT_EXPECT_STATUS = '2xx,3xx';

export class ExpectStatusError extends Error {
  override name = 'ExpectStatusError';
}

export function parseExpectStatus(text: string): StatusRanges {
  const ranges: Array<[number, number]> = [];
  for (const raw of text.split(',')) {
    const item = raw.trim().toLowerCase();
    const class_ = /^([1-5])xx$/.exec(item);
    const range = /^(\d{3})(?:-(\d{3}))?$/.exec(item);
    if (class_) ranges.push([Number(class_[1]) * 100, Number(class_[1]) * 100 + 99]);
    else if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2] ?? range[1]);
      if (lo < 100 || hi > 599 || hi < lo)
        throw new ExpectStatusError(`--expect-status: ${item} is not a status range`);
      ranges.push([lo, hi]);
    } else {
      throw new ExpectStatusError(
        `--expect-status: "${raw.trim()}" is neither a status (200), a range (200-204) nor a class (2xx)`,
      );
    }
  }
  return ranges;
}

export function statusAccepted(status: number, ranges: StatusRanges): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}
