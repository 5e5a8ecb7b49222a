import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DriverFlag, flagName } from '../src/definition.js';
import { DriverSpecError } from '../src/errors.js';
import { createDriver } from '../src/registry.js';
import {
  DRIVERS,
  type DriverSpec,
  driverConfigSchema,
  driverFlagUses,
  flagsFromSpec,
  parseDriverSpec,
  specFromFlags,
} from '../src/spec.js';

/** Reads `--flag value` pairs the way a command line does: each value through its flag's parser. */
function readFlags(argv: readonly string[]): { kind: string; given: Record<string, unknown> } {
  const byName = new Map(driverFlagUses().map((u) => [u.name, u.flag]));
  const given: Record<string, unknown> = {};
  let kind = '';
  for (let i = 0; i < argv.length; i += 2) {
    const [name, text] = [argv[i]!, argv[i + 1]!];
    if (name === '--driver') {
      kind = text;
      continue;
    }
    const flag = byName.get(name);
    if (!flag) throw new Error(`no driver flag ${name}`);
    given[name] = flag.parse ? flag.parse(text) : text;
  }
  return { kind, given };
}

describe('the driver table', () => {
  it('lists every kind once, nft included', () => {
    const kinds = DRIVERS.map((d) => d.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds).toEqual(expect.arrayContaining(['ipvsadm', 'haproxy', 'nft', 'command', 'manual', 'builtin']));
  });

  for (const d of DRIVERS) {
    describe(d.kind, () => {
      const schema = d.schema(z) as unknown as z.ZodObject;
      const settings = Object.keys(schema.shape).filter((k) => k !== 'kind');

      it('has a strict schema, a description, and a flag for every setting', () => {
        expect(schema.shape.kind).toBeDefined();
        expect(schema.safeParse({ ...d.examples[0], unknownSetting: 1 }).success).toBe(false);
        expect(d.description.length).toBeGreaterThan(10);
        expect(Object.keys(d.flags).sort()).toEqual([...settings].sort());
        for (const flag of Object.values<DriverFlag<unknown>>(d.flags)) {
          expect(flag.flag).toMatch(/^--[a-z][a-z-]*( <[^>]+>)?$/);
          expect(flag.help.length).toBeGreaterThan(5);
        }
      });

      it('has valid examples that between them give every setting', () => {
        for (const example of d.examples) expect(schema.parse(example)).toEqual(example);
        const given = new Set(d.examples.flatMap((e) => Object.keys(e)));
        for (const key of settings) expect(given, `no example gives ${key}`).toContain(key);
      });

      it('survives spec → flags → spec', async () => {
        for (const example of d.examples) {
          const argv = flagsFromSpec(example as DriverSpec);
          expect(argv.slice(0, 2)).toEqual(['--driver', d.kind]);
          const { kind, given } = readFlags(argv);
          expect(await specFromFlags(kind, given)).toEqual(example);
          expect(await parseDriverSpec(example)).toEqual(example);
        }
      });
    });
  }

  it('shares a flag between kinds only by sharing its definition', () => {
    const director = driverFlagUses().find((u) => u.name === '--director');
    expect(director?.kinds).toEqual(['ipvsadm', 'nft', 'manual', 'keepalived']);
    for (const flag of ['--ipvs-protocol', '--ipvs-fwmark']) {
      expect(driverFlagUses().find((u) => u.name === flag)?.kinds).toEqual(['ipvsadm', 'manual']);
    }
    const names = driverFlagUses().map((u) => u.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['--nft-table', '--nft-chain', '--nft-map', '--nft-netns']));
  });
});

describe('specs from flags and files', () => {
  it('names the missing flags of a kind', async () => {
    await expect(specFromFlags('nft', { '--nft-table': 'lb' })).rejects.toThrow(
      '--driver nft needs --nft-chain and --nft-map',
    );
    await expect(specFromFlags('haproxy', {})).rejects.toThrow(
      '--driver haproxy needs --haproxy-socket and --haproxy-backend',
    );
    await expect(specFromFlags('builtin', {})).rejects.toThrow('--driver builtin needs --control');
  });

  it('ignores flags of other kinds, and names a bad value by its flag', async () => {
    expect(await specFromFlags('ipvsadm', { '--nft-table': 'lb', '--director': 'ssh://root@lb1' })).toEqual({
      kind: 'ipvsadm',
      director: 'ssh://root@lb1',
    });
    await expect(specFromFlags('ipvsadm', { '--director': '' })).rejects.toThrow(/^--director: /);
  });

  it('knows every kind when it meets an unknown one', async () => {
    const all = /expected ipvsadm, haproxy, nft, command, manual, builtin, agent or keepalived/;
    await expect(specFromFlags('lvs', {})).rejects.toThrow(all);
    await expect(createDriver({ kind: 'lvs' } as unknown as DriverSpec)).rejects.toThrow(all);
    await expect(parseDriverSpec({ kind: 'lvs' })).rejects.toThrow(/kind/);
  });

  it('reads a cluster file the way the flags read text: `timeout: 5s` is timeoutMs 5000', () => {
    const schema = driverConfigSchema(z);
    const command = { kind: 'command', drainCmd: 'a', restoreCmd: 'b' };
    expect(schema.parse({ ...command, timeout: '5s' })).toEqual({ ...command, timeoutMs: 5000 });
    expect(schema.parse({ ...command, timeout: 250 })).toEqual({ ...command, timeoutMs: 250 });
    const bad = schema.safeParse({ ...command, timeout: 'soon' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['timeout']);
  });

  it('ipvsadm and manual: a UDP or SCTP service, or a firewall mark, from flags and from a cluster file', async () => {
    expect(await specFromFlags('ipvsadm', { '--ipvs-protocol': 'udp' })).toEqual({ kind: 'ipvsadm', protocol: 'udp' });
    const fwmark = driverFlagUses().find((u) => u.name === '--ipvs-fwmark')!.flag;
    expect(fwmark.parse!('0x10')).toBe(16);
    expect(() => fwmark.parse!('0')).toThrow('invalid --ipvs-fwmark "0": expected a mark 1-4294967295');
    expect(await specFromFlags('manual', { '--ipvs-fwmark': 7 })).toEqual({ kind: 'manual', fwmark: 7 });
    await expect(specFromFlags('ipvsadm', { '--ipvs-protocol': 'icmp' })).rejects.toThrow(/^--ipvs-protocol: /);
    const schema = driverConfigSchema(z);
    expect(schema.parse({ kind: 'ipvsadm', fwmark: '1' })).toEqual({ kind: 'ipvsadm', fwmark: 1 });
    expect(schema.parse({ kind: 'ipvsadm', fwmark: 2, director: 'local' })).toEqual({
      kind: 'ipvsadm',
      fwmark: 2,
      director: 'local',
    });
    // A mark names a service of no protocol of its own: both together is a usage error.
    await expect(createDriver({ kind: 'ipvsadm', protocol: 'udp', fwmark: 1 })).rejects.toThrow(DriverSpecError);
  });

  it('flag names are the first word of the flag', () => {
    expect(flagName({ flag: '--nft-table <name>' })).toBe('--nft-table');
  });
});
