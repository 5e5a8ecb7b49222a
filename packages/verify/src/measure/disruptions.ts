import type { Disruption, DisruptionClass } from '../report/types.js';

/**
 * Time spans in which some connection was failing. Each sample is a span of the run (a hold tick,
 * a fresh connection) with the failures seen in it; failing samples closer than `mergeGapMs` join.
 */
export class DisruptionTracker {
  #intervals: Disruption[] = [];
  constructor(private readonly mergeGapMs: number) {}

  sample(startMs: number, endMs: number, failures: Array<{ connection: string; class: DisruptionClass }>): void {
    if (failures.length === 0) return;
    const last = this.#intervals.at(-1);
    let d: Disruption;
    if (last && startMs <= last.endMs + this.mergeGapMs) {
      d = last;
      d.endMs = Math.max(d.endMs, endMs);
    } else {
      d = { startMs, endMs, durationMs: 0, connections: [], classes: [] };
      this.#intervals.push(d);
    }
    for (const f of failures) {
      if (!d.connections.includes(f.connection)) d.connections.push(f.connection);
      if (!d.classes.includes(f.class)) d.classes.push(f.class);
    }
    d.durationMs = Math.round(d.endMs - d.startMs);
  }

  intervals(): Disruption[] {
    return this.#intervals.map((d) => ({ ...d, startMs: Math.round(d.startMs), endMs: Math.round(d.endMs) }));
  }
}
