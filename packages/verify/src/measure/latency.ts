import * as hdr from 'hdr-histogram-js';
import type { LatencyReport, LatencySummary, PhaseId } from '../report/types.js';

type Kind = 'connect' | 'rtt';

/** Connect and round-trip histograms per server and phase; values kept in microseconds. */
export class LatencyRecorder {
  #histograms = new Map<string, hdr.Histogram>();

  record(server: string, phase: PhaseId, kind: Kind, ms: number): void {
    const key = JSON.stringify([server, phase, kind]);
    let h = this.#histograms.get(key);
    if (!h) {
      h = hdr.build({
        lowestDiscernibleValue: 1,
        highestTrackableValue: 3_600_000_000,
        numberOfSignificantValueDigits: 3,
      });
      this.#histograms.set(key, h);
    }
    h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** One server's round trips over all phases: for the per-server table. */
  summaryFor(server: string, kind: Kind): LatencySummary | undefined {
    const merged = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    let any = false;
    for (const [key, h] of this.#histograms) {
      const [s, , k] = JSON.parse(key) as [string, PhaseId, Kind];
      if (s === server && k === kind) {
        merged.add(h);
        any = true;
      }
    }
    return any ? summarize(merged) : undefined;
  }

  report(): LatencyReport {
    const out: LatencyReport = {};
    for (const [key, h] of this.#histograms) {
      const [server, phase, kind] = JSON.parse(key) as [string, PhaseId, Kind];
      out[server] ??= {};
      const byPhase = out[server];
      byPhase[phase] ??= {};
      byPhase[phase][kind] = summarize(h);
    }
    return out;
  }
}

const ms = (us: number) => Math.round(us) / 1000;

function summarize(h: hdr.Histogram): LatencySummary {
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
  };
}
