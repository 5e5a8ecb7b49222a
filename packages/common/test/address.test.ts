import { describe, expect, it } from 'vitest';
import {
  AddressError,
  AddressResolver,
  canonicalHost,
  formatHostPort,
  formatIpv4Range,
  formatPeer,
  formatSocketAddress,
  ipv4RangeHosts,
  parseHostPort,
  parseIpv4Range,
  parsePort,
  sameHostPort,
} from '../src/address.js';

describe('parseHostPort', () => {
  it.each([
    ['172.16.0.113:2100', { host: '172.16.0.113', port: 2100, family: 4 }],
    ['[::1]:2100', { host: '::1', port: 2100, family: 6 }],
    ['localhost:80', { host: 'localhost', port: 80, family: 0 }],
    ['lb-1.example.org:65535', { host: 'lb-1.example.org', port: 65535, family: 0 }],
    [' 127.0.0.1:1 ', { host: '127.0.0.1', port: 1, family: 4 }],
  ])('%s', (text, want) => {
    expect(parseHostPort(text)).toEqual(want);
  });

  it('port 0 only when allowed (a director lists it for a real server without a port)', () => {
    expect(() => parseHostPort('198.18.0.11:0')).toThrow(/invalid port "0"/);
    expect(parseHostPort('198.18.0.11:0', undefined, { allowZero: true }).port).toBe(0);
  });

  it('uses the default port when none is given', () => {
    expect(parseHostPort('10.0.0.1', 2100)).toEqual({ host: '10.0.0.1', port: 2100, family: 4 });
    expect(parseHostPort('::1', 2100)).toEqual({ host: '::1', port: 2100, family: 6 });
    expect(parseHostPort('[::1]', 2100).port).toBe(2100);
  });

  it.each([
    '',
    '1.2.3.4',
    '1.2.3.4:',
    '1.2.3.4:0',
    '1.2.3.4:65536',
    '1.2.3.4:80x',
    '::1:2100',
    '[::1',
    '[::1]2100',
    '[1.2.3.4]:80',
    ':2100',
    'bad host:80',
    'a_b:80',
  ])('rejects %j with a one-line AddressError', (text) => {
    expect(() => parseHostPort(text)).toThrow(AddressError);
    try {
      parseHostPort(text);
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('formats IPv6 in brackets', () => {
    expect(formatHostPort({ host: '::1', port: 2100 })).toBe('[::1]:2100');
    expect(formatHostPort({ host: '127.0.0.1', port: 2100 })).toBe('127.0.0.1:2100');
  });

  it('parses ports', () => {
    expect(parsePort('2100')).toBe(2100);
    expect(parsePort('0', { allowZero: true })).toBe(0);
    expect(() => parsePort('0')).toThrow(AddressError);
    expect(() => parsePort('-1')).toThrow(AddressError);
  });

  it('words a bad port the same way whether it is text or out of range', () => {
    const message = (text: string, allowZero?: boolean) => {
      try {
        parsePort(text, { allowZero });
      } catch (err) {
        return (err as Error).message;
      }
      return undefined;
    };
    expect(message('abc', true)).toBe('invalid port "abc": expected a number 0-65535');
    expect(message('99999', true)).toBe('invalid port "99999": expected a number 0-65535');
    expect(message('abc')).toBe('invalid port "abc": expected a number 1-65535');
    expect(message('99999')).toBe('invalid port "99999": expected a number 1-65535');
    expect(message('0')).toBe('invalid port "0": expected a number 1-65535');
  });
});

describe('formatSocketAddress / formatPeer', () => {
  it('writes IPv6 in brackets, IPv4 plain, and an IPv4-mapped client as IPv4', () => {
    expect(formatSocketAddress('::1', 2100)).toBe('[::1]:2100');
    expect(formatSocketAddress('fe80::1%eth0', 80)).toBe('[fe80::1%eth0]:80');
    expect(formatSocketAddress('127.0.0.1', 2100)).toBe('127.0.0.1:2100');
    expect(formatSocketAddress('::ffff:198.18.0.1', 40000)).toBe('198.18.0.1:40000');
    expect(formatSocketAddress('::ffff:abcd', 1)).toBe('[::ffff:abcd]:1');
    expect(formatSocketAddress(undefined, undefined)).toBe('?:?');
    expect(formatPeer({ remoteAddress: '::ffff:127.0.0.2', remotePort: 5 })).toBe('127.0.0.2:5');
    expect(formatPeer({ remoteAddress: '2001:db8::2', remotePort: 5 })).toBe('[2001:db8::2]:5');
  });

  it('agrees with formatHostPort on plain addresses', () => {
    for (const host of ['::1', '2001:db8::1', '198.18.0.2']) {
      expect(formatSocketAddress(host, 2100)).toBe(formatHostPort({ host, port: 2100 }));
    }
  });
});

describe('one spelling of an address', () => {
  it('writes IPv6 as inet_ntop does, and leaves IPv4 and names alone', () => {
    expect(canonicalHost('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(canonicalHost('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(canonicalHost('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalHost('198.18.0.11')).toBe('198.18.0.11');
    expect(canonicalHost('lb1.example')).toBe('lb1.example');
  });

  it('compares what a person wrote with what ipvsadm prints', () => {
    const printed = parseHostPort('[2001:db8::11]:2100');
    expect(sameHostPort(parseHostPort('[2001:db8:0::0011]:2100'), printed)).toBe(true);
    expect(sameHostPort(parseHostPort('[2001:db8::11]:2101'), printed)).toBe(false);
    expect(sameHostPort({ host: '::ffff:198.18.0.1', port: 1 }, { host: '::ffff:c612:1', port: 1 })).toBe(true);
  });

  it('resolves a name once: later questions get the first answer', async () => {
    const answers = ['198.18.0.11', '198.18.0.99'];
    const asked: string[] = [];
    const resolver = new AddressResolver(async (h) => {
      asked.push(h);
      return answers.shift()!;
    });
    expect(await resolver.resolve(parseHostPort('rs1.lab:2100'))).toEqual({
      host: '198.18.0.11',
      port: 2100,
      family: 4,
    });
    expect(await resolver.host('rs1.lab')).toBe('198.18.0.11');
    expect(await resolver.host('2001:DB8::1')).toBe('2001:db8::1');
    expect(asked).toEqual(['rs1.lab']);
  });

  it('a name that does not resolve is an AddressError naming it', async () => {
    const resolver = new AddressResolver(async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    });
    await expect(resolver.host('nowhere.invalid')).rejects.toThrow(
      new AddressError('cannot resolve "nowhere.invalid": ENOTFOUND'),
    );
  });
});

describe('IPv4 ranges', () => {
  it('lists the host addresses of a range, without network and broadcast addresses', () => {
    const r = parseIpv4Range('198.18.0.160/27');
    expect(formatIpv4Range(r)).toBe('198.18.0.160/27');
    const hosts = ipv4RangeHosts(r);
    expect(hosts).toHaveLength(30);
    expect(hosts[0]).toBe('198.18.0.161');
    expect(hosts.at(-1)).toBe('198.18.0.190');
    expect(ipv4RangeHosts(parseIpv4Range('10.0.0.255/32'))).toEqual(['10.0.0.255']);
    expect(ipv4RangeHosts(parseIpv4Range('10.0.0.0/31'))).toEqual(['10.0.0.0', '10.0.0.1']);
    expect(ipv4RangeHosts(parseIpv4Range('10.0.0.0/8'), 3)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(ipv4RangeHosts(parseIpv4Range('10.0.254.0/23'))[254]).toBe('10.0.254.255');
  });

  it('refuses what is not an IPv4 CIDR, and host bits that name no range', () => {
    for (const bad of ['198.18.0.0', '198.18.0.0/33', '198.18.0.256/24', '2001:db8::/64', 'x/24']) {
      expect(() => parseIpv4Range(bad), bad).toThrow(AddressError);
    }
    expect(() => parseIpv4Range('198.18.0.100/27')).toThrow(
      'invalid range "198.18.0.100/27": host bits set (the /27 that holds it starts at 198.18.0.96)',
    );
  });
});
