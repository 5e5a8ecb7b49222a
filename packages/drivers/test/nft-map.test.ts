import { describe, expect, it } from 'vitest';
import { balancerUpdate, numgenSlots, slotsFromMapJson, weightsFromSlots } from '../src/drivers/nft-map.js';

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

  it('rewrites map and modulus in one transaction; with no slot left the chain stays empty', () => {
    expect(balancerUpdate(b, ['198.18.0.12'])).toBe(
      'flush chain ip ldk_lb lb\nflush map ip ldk_lb backends\n' +
        'add element ip ldk_lb backends { 0 : 198.18.0.12 }\n' +
        'add rule ip ldk_lb lb dnat to numgen inc mod 1 map @backends\n',
    );
    expect(balancerUpdate(b, [])).toBe('flush chain ip ldk_lb lb\nflush map ip ldk_lb backends\n');
  });

  it('reads the slots from `nft -j list map` output (nftables 1.0.6), in slot order', () => {
    const json =
      '{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, {"map": {"family": "ip", "name": "backends", "table": "ldk_lb", "type": "integer", "handle": 2, "map": "ipv4_addr", "elem": [[1, "198.18.0.12"], [0, "198.18.0.11"], [2, "198.18.0.11"]]}}]}';
    expect(slotsFromMapJson(json)).toEqual(['198.18.0.11', '198.18.0.12', '198.18.0.11']);
    const empty = '{"nftables": [{"map": {"family": "ip", "name": "backends", "table": "ldk_lb", "type": "integer"}}]}';
    expect(slotsFromMapJson(empty)).toEqual([]);
    expect(() => slotsFromMapJson('{"nftables": []}')).toThrow(/no map/);
  });
});
