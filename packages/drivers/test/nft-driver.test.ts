import type { CommandResult, CommandTransport } from '@lvs-drain-kit/common';
import { describe, expect, it } from 'vitest';
import { createNftDriver } from '../src/drivers/nft.js';
import { parseDriverSpec } from '../src/spec.js';

/**
 * The nft driver's bookkeeping (slots ↔ weights, order, manual command) against a director whose map
 * answers like `nft -j list map` and takes `nft -f -` transactions; the real nftables is driven by the
 * labs tests (test/labs/nft.labs.test.ts).
 */
function director(initial: string[]) {
  let slots = [...initial];
  const scripts: string[] = [];
  const transport: CommandTransport = {
    description: 'fake director',
    async run(argv, options): Promise<CommandResult> {
      if (argv.join(' ') === 'nft -j list map ip ldk_lb backends') {
        const elem = slots.map((h, i) => [i, h]);
        return { stdout: JSON.stringify({ nftables: [{ map: { name: 'backends', elem } }] }), stderr: '', exitCode: 0 };
      }
      if (argv.join(' ') === 'nft -f -') {
        const script = options?.input ?? '';
        scripts.push(script);
        const elements = /add element ip ldk_lb backends \{ (.*) \}/.exec(script)?.[1];
        slots = elements ? elements.split(', ').map((e) => e.split(' : ')[1]!) : [];
        return { stdout: '', stderr: '', exitCode: 0 };
      }
      return { stdout: '', stderr: `unexpected ${argv.join(' ')}`, exitCode: 1 };
    },
  };
  return { transport, scripts, slots: () => slots };
}

const service = { vip: { host: '198.18.0.2', port: 2100 } };
const rs1 = { host: '198.18.0.11', port: 2100 };
const rs2 = { host: '198.18.0.12', port: 2100 };
const options = { table: 'ldk_lb', chain: 'lb', map: 'backends' };

describe('nft driver', () => {
  it('weight = slots held; drain drops the server and the modulus, restore puts it back in its place', async () => {
    const d = director(['198.18.0.11', '198.18.0.12', '198.18.0.12']);
    const driver = createNftDriver({ transport: d.transport, ...options });
    const state = await driver.inspect(service);
    expect(state.servers).toEqual([
      { host: '198.18.0.11', port: 2100, weight: 1 },
      { host: '198.18.0.12', port: 2100, weight: 2 },
    ]);
    await driver.setWeight(service, rs1, 0);
    expect(d.scripts.at(-1)).toContain('dnat to numgen inc mod 2 map @backends');
    expect(d.slots()).toEqual(['198.18.0.12', '198.18.0.12']);
    expect(await driver.getWeight(service, rs1)).toBe(0);
    expect((await driver.inspect(service)).servers.map((s) => s.weight)).toEqual([0, 2]);
    await driver.setWeight(service, rs1, 1);
    expect(d.slots()).toEqual(['198.18.0.11', '198.18.0.12', '198.18.0.12']);
    expect(await driver.getWeight(service, rs2)).toBe(2);
  });

  it('gives a command a person can paste, and refuses a real server on another port', async () => {
    const d = director(['198.18.0.11', '198.18.0.12']);
    const driver = createNftDriver({ transport: d.transport, ...options, manualPrefix: ['ip', 'netns', 'exec', 'lb'] });
    await driver.setWeight(service, rs1, 0);
    expect(driver.manualCommand(service, rs1, 1)).toMatch(
      /^printf '%s' 'flush chain ip ldk_lb lb\n.*' \| ip netns exec lb nft -f -$/s,
    );
    await expect(driver.setWeight(service, { host: '198.18.0.11', port: 8080 }, 0)).rejects.toThrow(/another port/);
  });

  it('needs table, chain and map in its spec (a journal file is read back untyped)', async () => {
    const fromJournal: unknown = JSON.parse('{"kind":"nft","table":"t","chain":"c"}');
    await expect(parseDriverSpec(fromJournal)).rejects.toThrow(/map \(--nft-map\)/);
  });
});
