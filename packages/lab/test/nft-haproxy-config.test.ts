import { describe, expect, it } from 'vitest';
import { haproxyConfig } from '../src/haproxy-config.js';
import {
  balancerUpdate,
  directorRuleset,
  numgenSlots,
  slotsFromMapJson,
  weightsFromSlots,
} from '../src/nft-ruleset.js';

const b = { table: 'ldk_lb', chain: 'lb', map: 'backends' };

describe('nft ruleset', () => {
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

  it('builds the director: DNAT jump for the VIP only, masquerade for DNATed flows', () => {
    const text = directorRuleset({ ...b, vip: '198.18.0.2', port: 2100 }, [
      { host: '198.18.0.11', weight: 1 },
      { host: '198.18.0.12', weight: 1 },
    ]);
    expect(text).toContain('ip daddr 198.18.0.2 tcp dport 2100 jump lb');
    expect(text).toContain('ct status dnat masquerade');
    expect(text).toContain('typeof numgen inc mod 2 : ip daddr');
    expect(text).toContain('dnat to numgen inc mod 2 map @backends');
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

describe('haproxy config', () => {
  it('is mode tcp, roundrobin, with an admin runtime socket and one server line per real server', () => {
    const cfg = haproxyConfig({
      socket: '/run/x/haproxy.sock',
      pidFile: '/run/x/haproxy.pid',
      bind: { host: '198.18.0.2', port: 2100 },
      backend: 'lab',
      servers: [
        { name: 'rs1', host: '198.18.0.11', port: 2100 },
        { name: 'rs2', host: '198.18.0.12', port: 2100, weight: 3 },
      ],
    });
    expect(cfg).toContain('stats socket /run/x/haproxy.sock mode 600 level admin');
    expect(cfg).toMatch(/defaults\n {2}mode tcp/);
    expect(cfg).toContain('bind 198.18.0.2:2100');
    expect(cfg).toMatch(
      /backend lab\n {2}balance roundrobin\n {2}server rs1 198\.18\.0\.11:2100 weight 1\n {2}server rs2 198\.18\.0\.12:2100 weight 3\n/,
    );
  });
});
