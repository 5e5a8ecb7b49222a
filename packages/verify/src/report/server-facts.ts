/**
 * What the servers table says of each server, in the text report and the HTML page alike: each renders
 * these facts in its own style (colours, markup), so the two tables cannot say different things.
 */
import { FAILURE_CLASSES, type LatencySummary, type ServerReport } from './types.js';

export interface ServerFacts {
  /** The weights it went through: before, and for the drained server during the drain and after. */
  weights: number[];
  /** Its failed old connections by class, `2 reset, 1 timeout`; '' for none. */
  failed: string;
  /** `3 stalls`; '' for none. */
  stalled: string;
  /** ` (+2 reused port)`: new connections that reused a source port; '' for none. */
  reused: string;
  /** Fewer old connections after the hold than at the drain. */
  lost: boolean;
  /** The drained server got new connections. */
  leaked: boolean;
  /** The hold's round trip, `0.12 / 0.80 ms` (p50 / p99), or `—`. */
  roundTrip: string;
}

export function serverFacts(s: ServerReport, rtt: LatencySummary | undefined): ServerFacts {
  return {
    weights: [
      s.weightBefore,
      s.drained ? s.weightDuringDrain : undefined,
      s.drained ? s.weightAfter : undefined,
    ].filter((w) => w !== undefined),
    failed: FAILURE_CLASSES.filter((k) => s.failures[k] > 0)
      .map((k) => `${s.failures[k]} ${k}`)
      .join(', '),
    stalled: s.stalls > 0 ? `${s.stalls} stall${s.stalls === 1 ? '' : 's'}` : '',
    reused: s.reusedPortConnections > 0 ? ` (+${s.reusedPortConnections} reused port)` : '',
    lost: s.connectionsAfter < s.connectionsBefore,
    leaked: s.drained && s.newConnections > 0,
    roundTrip: rtt ? `${rtt.p50.toFixed(2)} / ${rtt.p99.toFixed(2)} ms` : '—',
  };
}
