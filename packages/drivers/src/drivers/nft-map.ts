/**
 * The nft driver's model of a balancer (pure): `dnat to numgen inc mod N map @MAP`, where a server's
 * weight is the number of slots it holds. The nft lab director builds its ruleset from the same functions.
 */
export interface NftBalancer {
  table: string;
  chain: string;
  map: string;
}

export interface WeightedAddress {
  host: string;
  weight: number;
}

/**
 * Slots for the weights, interleaved like weighted round robin (a,b,a,b,a for 3:2) so consecutive new
 * connections alternate instead of filling one server's slots first.
 */
export function numgenSlots(servers: readonly WeightedAddress[]): string[] {
  const slots: string[] = [];
  const left = servers.map((s) => ({ host: s.host, n: Math.max(0, Math.floor(s.weight)) }));
  while (left.some((s) => s.n > 0)) {
    for (const s of left) {
      if (s.n > 0) {
        slots.push(s.host);
        s.n--;
      }
    }
  }
  return slots;
}

/** Weight of each address in a slot list (count of appearances). */
export function weightsFromSlots(slots: readonly string[]): Map<string, number> {
  const weights = new Map<string, number>();
  for (const host of slots) weights.set(host, (weights.get(host) ?? 0) + 1);
  return weights;
}

/**
 * One atomic `nft -f` transaction that makes the balancing rule and map hold exactly `slots`.
 * With no slot left, the chain is empty: new connections reach the director itself and are refused.
 */
export function balancerUpdate(b: NftBalancer, slots: readonly string[]): string {
  const lines = [`flush chain ip ${b.table} ${b.chain}`, `flush map ip ${b.table} ${b.map}`];
  if (slots.length > 0) {
    lines.push(`add element ip ${b.table} ${b.map} { ${slots.map((h, i) => `${i} : ${h}`).join(', ')} }`);
    lines.push(`add rule ip ${b.table} ${b.chain} dnat to numgen inc mod ${slots.length} map @${b.map}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Slot list from `nft -j list map`: elements are [slot, address] pairs. */
export function slotsFromMapJson(json: string): string[] {
  const parsed = JSON.parse(json) as { nftables?: Array<{ map?: { elem?: Array<[number, string]> } }> };
  const map = parsed.nftables?.find((o) => o.map)?.map;
  if (!map) throw new Error('no map in nft output');
  return (map.elem ?? [])
    .slice()
    .sort((a, b) => a[0] - b[0])
    .map(([, host]) => host);
}
