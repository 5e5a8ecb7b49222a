import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  minMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Latencies in milliseconds, recorded at microsecond resolution. */
export class LatencyRecorder {
  readonly #histogram = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
  #count = 0;

  record(ms: number): void {
    this.#histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    this.#count++;
  }

  summary(): LatencySummary | undefined {
    if (this.#count === 0) return undefined;
    const h = this.#histogram;
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: this.#count,
      minMs: ms(h.minNonZeroValue),
      p50Ms: ms(h.getValueAtPercentile(50)),
      p99Ms: ms(h.getValueAtPercentile(99)),
      maxMs: ms(h.maxValue),
    };
  }
}
