/**
 * Deliberate faults of the builtin lab director: negative controls proving each failure is caught.
 * - `reset-old`: on drain, reset the drained server's open connections (→ reset)
 * - `hang-old`: on drain, silently stop forwarding them (→ timeout; IPVS `-d` with expire_nodest_conn=0)
 * - `close-old`: on drain, close them with a FIN (→ closed)
 * - `reroute-old`: on drain, move them to another server mid-stream (→ wrong-host)
 * - `garble-old`: on drain, inject a line that is not a reply (→ garbled)
 * - `leak-new[=P%]`: keep sending a share P (default a third) of new connections, at random, to a
 *   weight-0 server (a partial drain: one of several directors, a stale template)
 * - `blackhole-old`: on drain, forward nothing on the drained server's open connections for 1 s, then
 *   deliver what waited (a director that drops packets while it reconfigures; TCP retransmits)
 * - `ignore-restore`: acknowledge a weight raised from 0, and keep scheduling as if it were 0
 * - `sticky-source-port`: a new connection from a client address:port seen before goes to the same
 *   server whatever its weight (IPVS conn_reuse_mode=0)
 */
export const MISBEHAVIOURS = [
  'reset-old',
  'hang-old',
  'close-old',
  'reroute-old',
  'garble-old',
  'blackhole-old',
  'leak-new',
  'ignore-restore',
  'sticky-source-port',
] as const;

export type Misbehaviour = (typeof MISBEHAVIOURS)[number] | `leak-new=${string}%`;

/** How long `blackhole-old` holds the drained server's connections. */
export const BLACKHOLE_MS = 1000;

export function parseMisbehaviours(list: readonly string[]): Misbehaviour[] {
  for (const m of list) {
    if (m.startsWith('leak-new=')) {
      leakShare([m as Misbehaviour]);
      continue;
    }
    if (!(MISBEHAVIOURS as readonly string[]).includes(m)) {
      throw new Error(`unknown lab misbehaviour "${m}": expected one of ${MISBEHAVIOURS.join(', ')}, leak-new=P%`);
    }
  }
  return list as Misbehaviour[];
}

/** The share of new connections `leak-new` sends to a weight-0 server, if it is on. */
export function leakShare(list: readonly Misbehaviour[]): number | undefined {
  for (const m of list) {
    if (m === 'leak-new') return 1 / 3;
    const p = /^leak-new=(\d+(?:\.\d+)?)%$/.exec(m);
    if (m.startsWith('leak-new=')) {
      const share = p ? Number(p[1]) / 100 : Number.NaN;
      if (!(share > 0 && share <= 1)) throw new Error(`lab misbehaviour "${m}": expected leak-new=P% with 0 < P ≤ 100`);
      return share;
    }
  }
  return undefined;
}
