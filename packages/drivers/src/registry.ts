import { DriverSpecError } from './errors.js';
import { type DriverSpec, driverDefinition, driverKindList } from './spec.js';
import type { DrainDriver } from './types.js';

/** The one place where a driver is built from its spec (flags, a cluster file, a lab, the journal). */
export async function createDriver(spec: DriverSpec): Promise<DrainDriver> {
  const d = driverDefinition(spec.kind);
  if (!d) throw new DriverSpecError(`unknown driver "${spec.kind}": expected ${driverKindList()}`);
  return d.create(spec);
}
