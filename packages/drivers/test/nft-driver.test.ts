import type { CommandResult, CommandTransport } from '@lvs-drain-kit/common';
import { describe, expect, it } from 'vitest';
import { createNftDriver } from '../src/drivers/nft.js';
import { UnsupportedSetupError } from '../src/errors.js';
import { parseDriverSpec } from '../src/spec.js';

/**
 * The nft driver against a director that lists its chain and map as `nft -j list` (nftables 1.0.6) does
 * and applies `nft -j JSON` transactions all or nothing; the real nftables is driven by the labs tests
 * (test/labs/nft.labs.test.ts).
 */
type Rule = { family: string; table: string; chain: string; handle: number; expr: unknown[] };
type Command = Record<string, { element?: { elem: unknown[] }; rule?: Rule; map?: unknown }>;

const numgen = (mod: number, extra: Record<string, unknown> = {}) => ({
  dnat: { addr: { map: { key: { numgen: { mode: 'inc', mod, offset: 0, ...extra } }, data: '@backends' } } },
});
const jhash = (mod: number) => ({
  dnat: {
    addr: {
      map: {
        key: {
          jhash: {
            mod,
            seed: 57005,
            offset: 5,
            expr: {
              concat: [
                { payload: { protocol: 'ip', field: 'saddr' } },
                { payload: { protocol: 'tcp', field: 'sport' } },
              ],
            },
          },
        },
        data: '@backends',
      },
    },
  },
});
const tcpDport = { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 2100 } };

function director(initial: { rules: unknown[][]; elements: Array<[number, string]> }) {
  let rules: Rule[] = initial.rules.map((expr, i) => ({
    family: 'ip',
    table: 'ldk_lb',
    chain: 'lb',
    handle: 4 + i,
    expr,
  }));
  let elements = new Map(initial.elements);
  const scripts: string[] = [];
  const transport: CommandTransport = {
    description: 'fake director',
    async run(argv): Promise<CommandResult> {
      const ok = (stdout: string) => ({ stdout, stderr: '', exitCode: 0 });
      const cmd = argv.join(' ');
      if (cmd === 'nft -j list chain ip ldk_lb lb')
        return ok(
          JSON.stringify({
            nftables: [{ metainfo: {} }, { chain: { name: 'lb' } }, ...rules.map((rule) => ({ rule }))],
          }),
        );
      if (cmd === 'nft -j list map ip ldk_lb backends') {
        const elem = [...elements].sort((a, b) => a[0] - b[0]);
        return ok(JSON.stringify({ nftables: [{ map: { name: 'backends', ...(elem.length ? { elem } : {}) } }] }));
      }
      if (argv.length === 3 && argv[0] === 'nft' && argv[1] === '-j' && argv[2]!.startsWith('{')) {
        const script = argv[2]!;
        scripts.push(script);
        // All or nothing, as nft commits a transaction.
        const next = new Map(elements);
        let nextRules = rules;
        for (const c of (JSON.parse(script) as { nftables: Command[] }).nftables) {
          const [verb, what] = Object.entries(c)[0]!;
          if (verb === 'flush' && what.map) next.clear();
          else if (verb === 'delete' && what.element) {
            for (const k of what.element.elem as number[]) {
              if (!next.delete(k))
                return { stdout: '', stderr: 'Error: Could not process rule: No such file or directory', exitCode: 1 };
            }
          } else if (verb === 'add' && what.element) {
            for (const [k, v] of what.element.elem as Array<[number, string]>) next.set(k, v);
          } else if (verb === 'replace' && what.rule) {
            const handle = what.rule.handle;
            if (!nextRules.some((r) => r.handle === handle)) return { stdout: '', stderr: 'no such rule', exitCode: 1 };
            nextRules = nextRules.map((r) => (r.handle === handle ? what.rule! : r));
          } else return { stdout: '', stderr: `unexpected ${JSON.stringify(c)}`, exitCode: 1 };
        }
        elements = next;
        rules = nextRules;
        return ok('');
      }
      return { stdout: '', stderr: `unexpected ${cmd}`, exitCode: 1 };
    },
  };
  const slots = () => [...elements].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  return { transport, scripts, slots, rules: () => rules, elements: () => elements };
}

const service = { vip: { host: '198.18.0.2', port: 2100 } };
const rs1 = { host: '198.18.0.11', port: 2100 };
const rs2 = { host: '198.18.0.12', port: 2100 };
const options = { table: 'ldk_lb', chain: 'lb', map: 'backends' };
const A = '198.18.0.11';
const B = '198.18.0.12';

/** The balancer most tests start from: three slots, B A B (so rs2 weighs 2 and rs1 1). */
function slotsBAB(): Parameters<typeof director>[0] {
  return {
    rules: [[numgen(3)]],
    elements: [
      [0, B],
      [1, A],
      [2, B],
    ],
  };
}

describe('nft driver', () => {
  it('weight = slots held; drain drops the server and the modulus, restore puts the map back as it was', async () => {
    const d = director(slotsBAB());
    const driver = createNftDriver({ transport: d.transport, ...options });
    const state = await driver.inspect(service);
    expect(state.scheduler).toBe('numgen inc mod 3');
    expect(state.servers).toEqual([
      { host: B, port: 2100, weight: 2 },
      { host: A, port: 2100, weight: 1 },
    ]);
    await driver.setWeight(service, rs1, 0);
    expect(d.slots()).toEqual([B, B]);
    expect(d.rules()[0]!.expr).toEqual([numgen(2)]);
    expect(d.rules()[0]!.handle).toBe(4);
    // Only what changes: slot 1 (rs1) and slot 2 (now empty) go, slot 1 gets rs2; slot 0 is not touched.
    expect(JSON.parse(d.scripts.at(-1)!).nftables.slice(0, 2)).toEqual([
      { delete: { element: { family: 'ip', table: 'ldk_lb', name: 'backends', elem: [1, 2] } } },
      { add: { element: { family: 'ip', table: 'ldk_lb', name: 'backends', elem: [[1, B]] } } },
    ]);
    expect(await driver.getWeight(service, rs1)).toBe(0);
    expect((await driver.inspect(service)).servers.map((s) => s.weight)).toEqual([2, 0]);
    await driver.setWeight(service, rs1, 1);
    expect(d.slots()).toEqual([B, A, B]);
    expect(d.rules()[0]!.expr).toEqual([numgen(3)]);
    expect(await driver.getWeight(service, rs2)).toBe(2);
  });

  it("keeps a jhash balancer, its offset, seed and the rule's other statements: only mod and the map change", async () => {
    const d = director({
      rules: [[tcpDport, { counter: { packets: 7, bytes: 420 } }, jhash(2)]],
      elements: [
        [5, A],
        [6, B],
      ],
    });
    const driver = createNftDriver({ transport: d.transport, ...options });
    expect((await driver.inspect(service)).scheduler).toBe('jhash mod 2');
    await driver.setWeight(service, rs1, 0);
    expect([...d.elements()]).toEqual([[5, B]]);
    expect(d.rules()[0]!.expr).toEqual([tcpDport, { counter: { packets: 7, bytes: 420 } }, jhash(1)]);
    await driver.setWeight(service, rs1, 1);
    expect([...d.elements()].sort()).toEqual([
      [5, A],
      [6, B],
    ]);
    expect(d.rules()[0]!.expr).toEqual([tcpDport, { counter: { packets: 7, bytes: 420 } }, jhash(2)]);
  });

  it('refuses, before changing anything, a chain with another rule, a rule it does not know, or a map that does not fit', async () => {
    const cases: Array<[Parameters<typeof director>[0], RegExp]> = [
      [
        {
          rules: [[numgen(2)], [{ accept: null }]],
          elements: [
            [0, A],
            [1, B],
          ],
        },
        /it holds 2 rules/,
      ],
      [
        {
          rules: [],
          elements: [
            [0, A],
            [1, B],
          ],
        },
        /it holds 0 rules/,
      ],
      [{ rules: [[{ dnat: { addr: '198.18.0.11' } }]], elements: [] }, /not a `dnat to <hash> mod N map @MAP`/],
      [
        {
          rules: [[{ dnat: { ...numgen(2).dnat, port: 8080 } }]],
          elements: [
            [0, A],
            [1, B],
          ],
        },
        /not a `dnat to/,
      ],
      [
        {
          rules: [[numgen(3)]],
          elements: [
            [0, A],
            [1, B],
          ],
        },
        /holds keys 0, 1, not exactly the 3 keys from 0/,
      ],
      [
        {
          rules: [[numgen(2)]],
          elements: [
            [0, A],
            [2, B],
          ],
        },
        /holds keys 0, 2/,
      ],
    ];
    for (const [setup, why] of cases) {
      const d = director(setup);
      const driver = createNftDriver({ transport: d.transport, ...options });
      await expect(driver.getWeight(service, rs1), String(why)).rejects.toThrow(UnsupportedSetupError);
      await expect(driver.setWeight(service, rs1, 0)).rejects.toThrow(why);
      await expect(driver.inspect(service)).rejects.toThrow(/nothing was changed/);
      expect(d.scripts).toEqual([]);
    }
  });

  it('a map changed meanwhile makes nft refuse the whole transaction; the last server is never drained', async () => {
    const d = director({
      rules: [[numgen(2)]],
      elements: [
        [0, A],
        [1, B],
      ],
    });
    // Someone else takes slot 1 out between the driver's listing and its transaction.
    const racing: CommandTransport = {
      description: d.transport.description,
      async run(argv, o) {
        const r = await d.transport.run(argv, o);
        if (argv.includes('map') && d.elements().size === 2) d.elements().delete(1);
        return r;
      },
    };
    await expect(createNftDriver({ transport: racing, ...options }).setWeight(service, rs1, 0)).rejects.toThrow(
      /nft -j \{.*failed with exit code 1.*No such file or directory/,
    );
    expect([...d.elements()]).toEqual([[0, A]]);
    d.elements().set(1, B);
    const driver = createNftDriver({ transport: d.transport, ...options });
    await driver.setWeight(service, rs1, 0);
    await expect(driver.setWeight(service, rs2, 0)).rejects.toThrow(/would leave it empty.*nothing was changed/);
    expect(d.slots()).toEqual([B]);
  });

  it('gives a command a person can paste: the whole map and the rule by handle, right whenever it is run', async () => {
    const d = director(slotsBAB());
    const driver = createNftDriver({ transport: d.transport, ...options, manualPrefix: ['ip', 'netns', 'exec', 'lb'] });
    await driver.getWeight(service, rs1);
    // Taken before the drain (the journal does), run after it: it still puts the map back as it was.
    const restore = driver.manualCommand(service, rs1, 1);
    expect(restore).toMatch(/^ip netns exec lb nft -j '\{"nftables":\[\{"flush":\{"map":.*\}'$/);
    await driver.setWeight(service, rs1, 0);
    const script = /^ip netns exec lb nft -j '(.*)'$/.exec(restore)![1]!;
    await d.transport.run(['nft', '-j', script]);
    expect(d.slots()).toEqual([B, A, B]);
    expect(d.rules()[0]!.expr).toEqual([numgen(3)]);
    expect(driver.describeChange?.(service, rs1, 1)).toBe(
      'nft map backends: 198.18.0.11 holds 1 of 3 slots, numgen inc mod 3',
    );
    await expect(driver.setWeight(service, { host: A, port: 8080 }, 0)).rejects.toThrow(/another port/);
  });

  it('needs table, chain and map in its spec (a journal file is read back untyped)', async () => {
    const fromJournal: unknown = JSON.parse('{"kind":"nft","table":"t","chain":"c"}');
    await expect(parseDriverSpec(fromJournal)).rejects.toThrow(/map \(--nft-map\)/);
  });
});
