import { describe, expect, it } from 'vitest';
import { createCommandDriver, parseWeightOutput } from '../src/drivers/command.js';
import { DriverError } from '../src/errors.js';

const service = { vip: { host: '198.18.0.100', port: 2100 } };
const real = { host: '198.18.0.11', port: 2100 };

describe('command driver', () => {
  it.each([
    ['3\n', 3],
    ['  12  \n', 12],
    ['0', 0],
  ])('--get-cmd printing %j is weight %i', (out, weight) => {
    expect(parseWeightOutput(out, 'get')).toBe(weight);
  });

  it.each([
    ['', 'nothing'],
    ['\n', 'nothing'],
    ['0x10', '"0x10"'],
    ['1e3', '"1e3"'],
    ['-1', '"-1"'],
    ['3.5', '"3.5"'],
    ['weight: 3', '"weight: 3"'],
    ['1\n2', '"1\\n2"'],
  ])('--get-cmd printing %j is a driver error naming the output', (out, named) => {
    expect(() => parseWeightOutput(out, 'lb-weight --get x')).toThrow(DriverError);
    expect(() => parseWeightOutput(out, 'lb-weight --get x')).toThrow(
      `--get-cmd printed ${named}, not a weight (a decimal integer): lb-weight --get x`,
    );
  });

  it('reads through /bin/sh: what the command printed decides', async () => {
    const get = (printed: string) =>
      createCommandDriver({ drainCmd: 'true', restoreCmd: 'true', getCmd: `printf '%s' '${printed}'` }).getWeight(
        service,
        real,
      );
    expect(await get('7')).toBe(7);
    await expect(get('')).rejects.toThrow(
      "--get-cmd printed nothing, not a weight (a decimal integer): printf '%s' ''",
    );
    await expect(get('0x10')).rejects.toThrow('--get-cmd printed "0x10"');
  });

  it('knows whether it can read a weight and whether its restore needs one', () => {
    const noWeight = createCommandDriver({ drainCmd: 'lb disable {rip}', restoreCmd: 'lb enable {rip}' });
    expect([noWeight.readsWeight, noWeight.restoreNeedsWeight]).toEqual([false, false]);
    const weighted = createCommandDriver({
      drainCmd: 'lb w {rip} 0',
      restoreCmd: 'lb w {rip} {weight}',
      getCmd: 'lb get',
    });
    expect([weighted.readsWeight, weighted.restoreNeedsWeight]).toEqual([true, true]);
  });

  it('names the command that runs for a weight: the restore for a weight above 0', () => {
    const d = createCommandDriver({ drainCmd: 'lb disable {rip}', restoreCmd: 'lb enable {rip} {weight}' });
    expect(d.describeChange?.(service, real, 0)).toBe('command: lb disable 198.18.0.11');
    expect(d.describeChange?.(service, real, 2)).toBe('command: lb enable 198.18.0.11 2');
  });
});
