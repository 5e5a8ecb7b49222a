/**
 * The nft driver's model of a balancer (pure): one rule `dnat to <hash> mod N map @MAP`, where the hash is
 * `numgen inc`, `numgen random`, `jhash …` or `symhash`, and a server's weight is the number of map slots
 * it holds. A weight change rewrites only the map elements that change and, when the slot count changes,
 * the modulus of that one rule (replaced by handle, its expression otherwise kept as listed). The nft lab
 * director builds its first ruleset from `numgenSlots` and `balancerUpdate`.
 */
import { UnsupportedSetupError } from '../errors.js';

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
 * A fresh balancer in a chain and map of its own (the nft lab's start): `<expression> mod N` over `slots`
 * (`numgen inc` by default; `numgen random`, `jhash ip saddr` …), one `nft -f` transaction. Not for a
 * director in use: it flushes the chain and the map.
 */
export function balancerUpdate(b: NftBalancer, slots: readonly string[], expression = 'numgen inc'): string {
  const lines = [`flush chain ip ${b.table} ${b.chain}`, `flush map ip ${b.table} ${b.map}`];
  if (slots.length > 0) {
    lines.push(`add element ip ${b.table} ${b.map} { ${slots.map((h, i) => `${i} : ${h}`).join(', ')} }`);
    lines.push(`add rule ip ${b.table} ${b.chain} dnat to ${expression} mod ${slots.length} map @${b.map}`);
  }
  return `${lines.join('\n')}\n`;
}

/** An nft JSON rule as `nft -j list chain` prints it (the fields the driver reads; the rest is kept as is). */
interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  expr: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** The balancer as found on the director: the one rule, its hash, and the map's slots in key order. */
export interface BalancerState {
  rule: NftRule;
  /** `numgen inc`, `numgen random`, `jhash`, `symhash`. */
  hash: string;
  /** The hash's modulus: the number of slots. */
  modulus: number;
  /** The first slot's key (`offset` of the hash expression, 0 by default). */
  offset: number;
  /** Addresses in slot order: slot i has key offset + i. */
  slots: string[];
}

const HASHES = ['numgen', 'jhash', 'symhash'] as const;

/**
 * Reads `nft -j list chain` and `nft -j list map` of a balancer and checks it is one the driver fully
 * understands: the chain holds exactly one rule, ending in `dnat to <hash> mod N map @MAP` with nothing
 * but the address mapped, and the map holds exactly the N keys the hash yields, each an IPv4 address.
 * Anything else is an UnsupportedSetupError, before anything is changed.
 */
export function readBalancer(b: NftBalancer, chainJson: string, mapJson: string): BalancerState {
  const where = `nft chain ip ${b.table} ${b.chain}`;
  const refuse = (why: string) =>
    new UnsupportedSetupError(
      `${where}: ${why}; the nft driver changes only a chain that holds one rule \`dnat to numgen inc|numgen random|jhash …|symhash mod N map @${b.map}\` (nothing was changed)`,
    );
  const rules = nftObjects(chainJson, 'rule') as NftRule[];
  if (rules.length !== 1) throw refuse(`it holds ${rules.length} rules`);
  const rule = rules[0]!;
  const dnat = rule.expr.at(-1)?.dnat as { addr?: unknown; family?: unknown } | undefined;
  const map = (dnat?.addr as { map?: { key?: Record<string, Record<string, unknown>>; data?: unknown } } | undefined)
    ?.map;
  const hashName = HASHES.find((h) => map?.key?.[h] !== undefined);
  if (!dnat || !map || !hashName || Object.keys(dnat).some((k) => k !== 'addr' && k !== 'family')) {
    throw refuse('its rule is not a `dnat to <hash> mod N map @MAP` of addresses');
  }
  if (map.data !== `@${b.map}`) throw refuse(`its rule maps through ${JSON.stringify(map.data)}, not @${b.map}`);
  const hash = map.key![hashName]!;
  const modulus = hash.mod;
  const offset = hash.offset ?? 0;
  if (!Number.isInteger(modulus) || !Number.isInteger(offset)) throw refuse('its hash has no whole `mod`');
  const slotsByKey = mapElements(mapJson, b, refuse);
  const slots: string[] = [];
  for (let i = 0; i < (modulus as number); i++) {
    const host = slotsByKey.get((offset as number) + i);
    if (host === undefined) break;
    slots.push(host);
  }
  if (slots.length !== modulus || slotsByKey.size !== modulus) {
    throw refuse(
      `map ${b.map} holds keys ${[...slotsByKey.keys()].join(', ') || 'none'}, not exactly the ${modulus} keys from ${offset} its rule's mod ${modulus} yields`,
    );
  }
  return {
    rule,
    hash: hashName === 'numgen' ? `numgen ${String(hash.mode)}` : hashName,
    modulus: modulus as number,
    offset: offset as number,
    slots,
  };
}

function nftObjects(json: string, kind: string): unknown[] {
  const parsed = JSON.parse(json) as { nftables?: Array<Record<string, unknown>> };
  return (parsed.nftables ?? []).filter((o) => o[kind] !== undefined).map((o) => o[kind]);
}

function mapElements(json: string, b: NftBalancer, refuse: (why: string) => Error): Map<number, string> {
  const map = nftObjects(json, 'map')[0] as { elem?: unknown[] } | undefined;
  if (!map) throw refuse(`nft printed no map ${b.map}`);
  const slots = new Map<number, string>();
  for (const e of map.elem ?? []) {
    if (!Array.isArray(e) || !Number.isInteger(e[0]) || typeof e[1] !== 'string' || !/^[\d.]+$/.test(e[1])) {
      throw refuse(`map ${b.map} holds an element that is not \`KEY : IPv4 address\`: ${JSON.stringify(e)}`);
    }
    slots.set(e[0] as number, e[1]);
  }
  return slots;
}

/**
 * The slots after setting `host` to `weight`: the others keep their order; the host's slots are spread
 * evenly among them. `before` (the slots before this run's first change) is put back exactly when the
 * change undoes that one.
 */
export function planSlots(
  current: readonly string[],
  host: string,
  weight: number,
  before?: readonly string[],
): string[] {
  const others = current.filter((h) => h !== host);
  if (weight <= 0) return others;
  if (
    before &&
    weightsFromSlots(before).get(host) === weight &&
    before.filter((h) => h !== host).join(' ') === others.join(' ')
  ) {
    return [...before];
  }
  const total = others.length + weight;
  const at = new Set(Array.from({ length: weight }, (_, j) => Math.floor((j * total) / weight)));
  const out: string[] = [];
  let next = 0;
  for (let i = 0; i < total; i++) out.push(at.has(i) ? host : others[next++]!);
  return out;
}

/**
 * One `nft -j` transaction from `state` to `slots`: only the elements whose address changes are
 * deleted and added (a key gone missing meanwhile makes nft refuse the whole transaction), and the rule is
 * replaced by handle — its expression as listed, only `mod` changed — when the slot count changes.
 */
export function balancerEdit(b: NftBalancer, state: BalancerState, slots: readonly string[]): string {
  if (slots.length === 0) {
    throw new UnsupportedSetupError(
      `nft map ${b.map}: this change would leave it empty, and the rule's mod cannot be 0 (nothing was changed)`,
    );
  }
  const target = { family: 'ip', table: b.table, name: b.map };
  const gone: number[] = [];
  const added: Array<[number, string]> = [];
  for (let i = 0; i < Math.max(state.slots.length, slots.length); i++) {
    const key = state.offset + i;
    if (state.slots[i] === slots[i]) continue;
    if (state.slots[i] !== undefined) gone.push(key);
    if (slots[i] !== undefined) added.push([key, slots[i]!]);
  }
  const commands: unknown[] = [];
  if (gone.length > 0) commands.push({ delete: { element: { ...target, elem: gone } } });
  if (added.length > 0) commands.push({ add: { element: { ...target, elem: added } } });
  if (slots.length !== state.modulus) commands.push({ replace: { rule: withModulus(state.rule, slots.length) } });
  return JSON.stringify({ nftables: commands });
}

/**
 * The whole balancer set to `slots` whatever its map holds now (for a person, who may run it long after
 * the map moved on): the map's elements replaced, and the rule replaced by handle with its expression as
 * listed, only `mod` set to the slot count.
 */
export function balancerRewrite(b: NftBalancer, state: BalancerState, slots: readonly string[]): string {
  if (slots.length === 0) return balancerEdit(b, state, slots);
  const target = { family: 'ip', table: b.table, name: b.map };
  return JSON.stringify({
    nftables: [
      { flush: { map: target } },
      { add: { element: { ...target, elem: slots.map((h, i) => [state.offset + i, h]) } } },
      { replace: { rule: withModulus(state.rule, slots.length) } },
    ],
  });
}

function withModulus(rule: NftRule, modulus: number): NftRule {
  const copy = structuredClone(rule);
  const key = (copy.expr.at(-1)!.dnat as { addr: { map: { key: Record<string, { mod: number }> } } }).addr.map.key;
  for (const h of HASHES) if (key[h]) key[h].mod = modulus;
  return copy;
}
