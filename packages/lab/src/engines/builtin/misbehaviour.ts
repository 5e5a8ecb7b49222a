/**
 * Deliberate faults of the builtin lab director: negative controls proving each failure is caught.
 * - `reset-old`: on drain, reset the drained server's open connections (→ reset)
 * - `hang-old`: on drain, silently stop forwarding them (→ timeout; IPVS `-d` with expire_nodest_conn=0)
 * - `close-old`: on drain, close them with a FIN (→ closed)
 * - `reroute-old`: on drain, move them to another server mid-stream (→ wrong-host)
 * - `garble-old`: on drain, inject a line that is not a reply (→ garbled)
 * - `leak-new`: keep sending every third new connection to a weight-0 server
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
  'leak-new',
  'ignore-restore',
  'sticky-source-port',
] as const;

export type Misbehaviour = (typeof MISBEHAVIOURS)[number];

export function parseMisbehaviours(list: readonly string[]): Misbehaviour[] {
  for (const m of list) {
    if (!(MISBEHAVIOURS as readonly string[]).includes(m)) {
      throw new Error(`unknown lab misbehaviour "${m}": expected one of ${MISBEHAVIOURS.join(', ')}`);
    }
  }
  return list as Misbehaviour[];
}
