import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { parseRealSpec } from '../src/real-spec.js';

describe('cluster config validation', () => {
  it('accepts a classic LVS-DR cluster and converts durations and addresses', () => {
    const c = validateConfig({
      vip: '172.16.0.113:2100',
      reals: ['172.16.0.114:2100', { address: '172.16.0.115:2100', name: 'web2' }],
      drain: '172.16.0.114:2100',
      driver: { kind: 'ipvsadm', director: 'ssh://root@172.16.0.113' },
      hold: '10s',
      interval: '250ms',
      strict: true,
    });
    expect(c.vip).toEqual({ host: '172.16.0.113', port: 2100, family: 4 });
    expect(c.reals).toEqual([
      { host: '172.16.0.114', port: 2100 },
      { host: '172.16.0.115', port: 2100, name: 'web2' },
    ]);
    expect(c.driver).toEqual({ kind: 'ipvsadm', director: 'ssh://root@172.16.0.113' });
    expect(c.holdMs).toBe(10_000);
    expect(c.intervalMs).toBe(250);
    expect(c.strict).toBe(true);
  });

  it("client addresses: sources and a sourceRange, expanded once with the flags' rules", async () => {
    const c = validateConfig({
      vip: '172.16.0.113:2100',
      reals: ['172.16.0.114:2100', '172.16.0.115:2100'],
      drain: '172.16.0.114:2100',
      driver: { kind: 'ipvsadm', director: 'ssh://root@172.16.0.113' },
      sources: ['10.0.0.9'],
      sourceRange: '10.0.0.8/30',
    });
    const { clientAddresses } = await import('../src/options.js');
    expect(clientAddresses(c.sources, c.sourceRange)).toEqual(['10.0.0.9', '10.0.0.10']);
    expect(() => clientAddresses(['lb1'])).toThrow('--source lb1: expected an IP address of this host');
  });

  it('names every problem with its path in one error', () => {
    let err: unknown;
    try {
      validateConfig(
        { vip: 'x', reals: ['1.2.3.4:80'], drain: '1.2.3.4:80', driver: { kind: 'haproxy' }, hold: 'soon', extra: 1 },
        'c.yaml',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^c\.yaml: /);
    expect(msg).toContain('vip: expected HOST:PORT');
    expect(msg).toContain('reals: at least two real servers');
    expect(msg).toContain('driver.socket');
    expect(msg).toContain('hold: expected a duration');
    expect(msg).toMatch(/extra/);
  });

  it('a duration without a unit is refused, with the unit it probably meant', () => {
    const base = { vip: '10.0.0.1:80', reals: ['10.0.0.2:80', '10.0.0.3:80'], drain: '10.0.0.2:80' };
    const driver = { kind: 'ipvsadm' };
    expect(() => validateConfig({ ...base, driver, hold: 10 }, 'c.yaml')).toThrow(
      /^c\.yaml: hold: expected a duration like 500ms, 5s: duration "10" has no unit: did you mean 10s\?/,
    );
    expect(() => validateConfig({ ...base, driver, interval: '200' })).toThrow(
      /interval: .*did you mean 200ms or 200s\?/,
    );
    expect(validateConfig({ ...base, driver, hold: '10s', interval: 0 }).intervalMs).toBe(0);
  });

  it('command driver timeouts are durations', () => {
    const c = validateConfig({
      vip: '10.0.0.1:80',
      reals: ['10.0.0.2:80', '10.0.0.3:80'],
      drain: '10.0.0.2:80',
      driver: { kind: 'command', drainCmd: 'a {rip}', restoreCmd: 'b {rip} {weight}', timeout: '5s' },
    });
    expect(c.driver).toEqual({ kind: 'command', drainCmd: 'a {rip}', restoreCmd: 'b {rip} {weight}', timeoutMs: 5000 });
  });

  it('describes an nftables director, and names what it lacks', () => {
    const base = { vip: '10.0.0.1:80', reals: ['10.0.0.2:80', '10.0.0.3:80'], drain: '10.0.0.2:80' };
    const nft = { kind: 'nft', table: 'lb', chain: 'balance', map: 'backends', director: 'ssh://root@lb1' };
    expect(validateConfig({ ...base, driver: nft }).driver).toEqual(nft);
    expect(() => validateConfig({ ...base, driver: { kind: 'nft', table: 'lb' } })).toThrow(/driver\.chain/);
  });
});

describe('--real HOST:PORT[=NAME]', () => {
  it('parses names and IPv6', () => {
    expect(parseRealSpec('172.16.0.114:2100=rs1')).toEqual({ host: '172.16.0.114', port: 2100, name: 'rs1' });
    expect(parseRealSpec('[::1]:2100')).toEqual({ host: '::1', port: 2100 });
    expect(() => parseRealSpec('172.16.0.114:2100=')).toThrow(/empty name/);
    expect(() => parseRealSpec('172.16.0.114')).toThrow(/missing ":PORT"/);
  });
});
