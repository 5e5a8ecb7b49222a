import type { DrainDriver, RealServerRef, ServiceRef } from '@lvs-drain-kit/drivers';
import { describe, expect, it } from 'vitest';
import { DriverError } from '../src/errors.js';
import { setWeightVerified, WeightNotAppliedError } from '../src/run/set-weight-verified.js';

const service: ServiceRef = { vip: { host: '127.0.0.1', port: 80 } };
const real: RealServerRef = { host: '127.0.0.2', port: 8080 };

/** A driver whose director answers `read()` after each set; records every set it was asked for. */
function fakeDriver(read: (set: number, attempt: number) => number | undefined | Error) {
  const sets: number[] = [];
  const driver: DrainDriver = {
    name: 'fake',
    description: 'fake director',
    async inspect() {
      return { servers: [] };
    },
    async setWeight(_service, _real, weight) {
      sets.push(weight);
    },
    async getWeight() {
      const r = read(sets[sets.length - 1]!, sets.length);
      if (r instanceof Error) throw r;
      return r;
    },
    manualCommand: (_s, _r, weight) => `set ${weight}`,
  };
  return { driver, sets };
}

describe('setWeightVerified', () => {
  it('sets once and returns the weight read back', async () => {
    const { driver, sets } = fakeDriver((set) => set);
    const before = performance.now();
    const r = await setWeightVerified(driver, service, real, 3);
    expect(r.readBack).toBe(3);
    expect(r.setAt).toBeGreaterThanOrEqual(before);
    expect(sets).toEqual([3]);
  });

  it('retries a read-back that disagrees, and succeeds when the director catches up', async () => {
    const { driver, sets } = fakeDriver((set, attempt) => (attempt < 2 ? 7 : set));
    expect((await setWeightVerified(driver, service, real, 0)).readBack).toBe(0);
    expect(sets).toEqual([0, 0]);
  });

  it('a director that keeps reporting another weight: three attempts, then WeightNotAppliedError naming it', async () => {
    const { driver, sets } = fakeDriver(() => 5);
    const err = await setWeightVerified(driver, service, real, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightNotAppliedError);
    expect(err).toMatchObject({ expected: 1, actual: 5, message: 'the director reports weight 5, not 1' });
    expect(sets).toEqual([1, 1, 1]);
  });

  it('a driver that cannot read weights: set once, nothing to compare, readBack undefined', async () => {
    const { driver, sets } = fakeDriver(() => undefined);
    expect((await setWeightVerified(driver, service, real, 0)).readBack).toBeUndefined();
    expect(sets).toEqual([0]);
  });

  it('a read-back that throws fails the attempt by default: retried, then the driver error itself', async () => {
    const { driver, sets } = fakeDriver(() => new DriverError('ssh: connection refused'));
    await expect(setWeightVerified(driver, service, real, 1)).rejects.toThrow(DriverError);
    expect(sets).toEqual([1, 1, 1]);
  });

  it('a read-back that throws counts as unreadable with `unreadable: unknown` (the drain)', async () => {
    const { driver, sets } = fakeDriver(() => new DriverError('ssh: connection refused'));
    expect((await setWeightVerified(driver, service, real, 0, { unreadable: 'unknown' })).readBack).toBeUndefined();
    expect(sets).toEqual([0]);
  });

  it('a set that keeps failing is retried, then its own error is thrown', async () => {
    let calls = 0;
    const { driver } = fakeDriver((set) => set);
    driver.setWeight = async () => {
      calls++;
      throw new DriverError('ipvsadm: permission denied', 'stderr text');
    };
    const err = await setWeightVerified(driver, service, real, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({ message: 'ipvsadm: permission denied', detail: 'stderr text' });
    expect(calls).toBe(3);
  });
});
