import { DRIVERS, type DriverSpec, flagsFromSpec, specFromFlags } from '@lvs-drain-kit/drivers';
import type { LabInfo } from '@lvs-drain-kit/lab';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { runSettings } from '../src/commands/drain-test/action.js';
import { register } from '../src/commands/drain-test/index.js';
import { validateConfig } from '../src/config.js';
import { drainTestArgs } from '../src/lab-engines.js';
import { readDriverFlags, readOptions } from '../src/options/commander.js';
import { DRAIN_TEST_OPTIONS } from '../src/options/drain-test.js';

/** drain-test's real options, parsed without running it. */
function parse(args: readonly string[]) {
  const program = new Command().exitOverride();
  register(program);
  const command = program.commands[0]!;
  command
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .parseOptions([...args]);
  const { values, given } = readOptions(command, DRAIN_TEST_OPTIONS);
  return { values, flags: values, given, driverFlags: readDriverFlags(command) };
}

describe('drain-test options from the tables', () => {
  it('every driver example survives spec → flags → commander → spec', async () => {
    for (const d of DRIVERS) {
      for (const example of d.examples) {
        const { values, driverFlags } = parse(flagsFromSpec(example as DriverSpec));
        expect(values.driver).toBe(d.kind);
        expect(await specFromFlags(values.driver!, driverFlags)).toEqual(example);
      }
    }
  });

  it('reads values under the option keys, durations in milliseconds, and knows which were typed', () => {
    const { values, given } = parse([
      '--hold',
      '3s',
      '--interval',
      '250',
      '--real',
      'a:1',
      '--real',
      'b:2',
      '--no-restore',
    ]);
    expect(values).toMatchObject({ holdMs: 3000, intervalMs: 250, reals: ['a:1', 'b:2'], restore: false });
    expect([...given].sort()).toEqual(['holdMs', 'intervalMs', 'reals', 'restore']);
    expect(parse([]).values.restore).toBe(true);
    expect(parse([]).given.size).toBe(0);
  });

  it('a typed flag wins over the cluster file, the file over the defaults', () => {
    const config = validateConfig({
      vip: '10.0.0.1:80',
      reals: ['10.0.0.2:80', '10.0.0.3:80'],
      drain: '10.0.0.2:80',
      driver: { kind: 'manual' },
      hold: '10s',
      interval: '1s',
      restore: false,
      strict: true,
    });
    expect(runSettings(parse(['--hold', '2s']), config)).toEqual({
      holdMs: 2000,
      intervalMs: 1000,
      restore: false,
      strict: true,
    });
    // `--no-restore` defaults to restoring: only a typed flag counts.
    expect(runSettings(parse([]), { restore: false }).restore).toBe(false);
    expect(runSettings(parse(['--no-restore']), { restore: true }).restore).toBe(false);
    expect(runSettings(parse([]), undefined)).toEqual({});
  });

  it('hands a lab over with the drivers’ flags, and the verifier reads back the lab’s spec', async () => {
    const info: LabInfo = {
      engine: 'nft',
      id: 'x',
      vip: { host: '198.18.0.2', port: 2100 },
      reals: [
        { host: '198.18.0.11', port: 2100, name: 'rs1' },
        { host: '198.18.0.12', port: 2100, name: 'rs2' },
      ],
      clientNetns: 'ldk-x-client',
      driver: { kind: 'nft', netns: 'ldk-x-lb', family: 'ip', table: 'ldk_lb', chain: 'lb', map: 'backends' },
      stateDir: '/tmp/x',
      details: {},
    };
    const args = drainTestArgs(info, ['--hold', '1s']);
    expect(args).toEqual(expect.arrayContaining(['--nft-netns', 'ldk-x-lb', '--nft-map', 'backends']));
    const { values, driverFlags } = parse(args.slice(1));
    expect(await specFromFlags(values.driver!, driverFlags)).toEqual(info.driver);
    expect(values.holdMs).toBe(1000);
  });

  it('lists every driver kind as a --driver choice', () => {
    expect(() => parse(['--driver', 'nft'])).not.toThrow();
    expect(() => parse(['--driver', 'lvs'])).toThrow(
      /Allowed choices are ipvsadm, haproxy, nft, command, manual, builtin/,
    );
  });
});
