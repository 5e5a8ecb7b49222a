import { describe, expect, it } from 'vitest';
import { balancerUpdate, numgenSlots, planSlots, readBalancer, weightsFromSlots } from '../src/drivers/nft-map.js';

const b = { table: 'ldk_lb', chain: 'lb', map: 'backends' };

describe('nft balancer map', () => {
  it('spreads weighted slots like weighted round robin and counts them back', () => {
    const slots = numgenSlots([
      { host: 'a', weight: 3 },
      { host: 'b', weight: 2 },
      { host: 'c', weight: 0 },
    ]);
    expect(slots).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(Object.fromEntries(weightsFromSlots(slots))).toEqual({ a: 3, b: 2 });
  });

  it("a fresh balancer (the lab's start) in one transaction", () => {
    expect(balancerUpdate(b, ['198.18.0.12'])).toBe(
      'flush chain ip ldk_lb lb\nflush map ip ldk_lb backends\n' +
        'add element ip ldk_lb backends { 0 : 198.18.0.12 }\n' +
        'add rule ip ldk_lb lb dnat to numgen inc mod 1 map @backends\n',
    );
  });

  it('plans slots: others keep their order, the server is spread among them, the first layout comes back', () => {
    expect(planSlots(['b', 'a', 'b'], 'a', 0)).toEqual(['b', 'b']);
    expect(planSlots(['b', 'b'], 'a', 1, ['b', 'a', 'b'])).toEqual(['b', 'a', 'b']);
    // Without the first layout (another process, `undo`): spread evenly.
    expect(planSlots(['b', 'b'], 'a', 1)).toEqual(['a', 'b', 'b']);
    expect(planSlots(['b', 'c', 'b', 'c'], 'a', 2)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    // A different weight than the first layout's is planned, not restored.
    expect(planSlots(['b', 'b'], 'a', 2, ['b', 'a', 'b'])).toEqual(['a', 'b', 'a', 'b']);
  });

  it('reads the balancer from `nft -j list chain` and `nft -j list map` (nftables 1.0.6)', () => {
    const chain =
      '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"chain": {"family": "ip", "table": "lb", "name": "hashed", "handle": 2}}, {"rule": {"family": "ip", "table": "lb", "chain": "hashed", "handle": 8, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 2100}}, {"counter": {"packets": 0, "bytes": 0}}, {"dnat": {"addr": {"map": {"key": {"jhash": {"mod": 2, "seed": 57005, "offset": 5, "expr": {"concat": [{"payload": {"protocol": "ip", "field": "saddr"}}, {"payload": {"protocol": "tcp", "field": "sport"}}]}}}, "data": "@hb"}}}}]}}]}';
    const map =
      '{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, {"map": {"family": "ip", "name": "hb", "table": "lb", "type": "integer", "handle": 5, "map": "ipv4_addr", "elem": [[6, "198.18.0.12"], [5, "198.18.0.11"]]}}]}';
    const state = readBalancer({ table: 'lb', chain: 'hashed', map: 'hb' }, chain, map);
    expect([state.hash, state.modulus, state.offset, state.slots, state.rule.handle]).toEqual([
      'jhash',
      2,
      5,
      ['198.18.0.11', '198.18.0.12'],
      8,
    ]);
    expect(() => readBalancer({ table: 'lb', chain: 'hashed', map: 'other' }, chain, map)).toThrow(
      'nft chain ip lb hashed: its rule maps through "@hb", not @other; the nft driver changes only a chain that holds one rule `dnat to numgen inc|numgen random|jhash …|symhash mod N map @other` (nothing was changed)',
    );
  });
});
