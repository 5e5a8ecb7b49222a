/**
 * Whether a server may be drained now: it is in the director's service with a weight above 0, and at
 * least `minServing` other servers keep a weight above 0 to carry the traffic. Pure: the caller reads
 * the director first (before each server, so a change made meanwhile counts).
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { type DirectorState, isListedAs, type RealServerRef } from '@lvs-drain-kit/drivers';
import { EnvironmentError } from '../errors.js';

/** Draining would break `--min-serving`, or the server is not there to drain: refused before any change (exit 3). */
export class CapacityError extends EnvironmentError {
  override name = 'CapacityError';
}

/** A server declared without a port (HAProxy) is listed with port 0. */
const same = (listed: RealServerRef, real: RealServerRef) => isListedAs(listed, real);

/** The server's weight when it may be drained; throws CapacityError saying why not. */
export function checkCapacity(
  director: DirectorState,
  target: RealServerRef,
  name: string,
  minServing: number,
): number {
  const t = director.servers.find((s) => same(s, target));
  if (!t) throw new CapacityError(`the director has no real server ${name} (${formatHostPort(target)}) in the service`);
  if (t.weight === 0) {
    throw new CapacityError(
      `${name} already has weight 0 on the director: it is not this run's to drain (\`lvs-verify undrain\`, \`lvs-verify undo\` or restore it first)`,
    );
  }
  const serving = director.servers.filter((s) => !same(s, target) && s.weight > 0);
  if (serving.length < minServing) {
    const others = serving.map(formatHostPort).join(', ') || 'none';
    throw new CapacityError(
      `draining ${name} would leave ${serving.length} other server${serving.length === 1 ? '' : 's'} with weight > 0 (${others}); --min-serving ${minServing} asks for at least ${minServing}`,
    );
  }
  return t.weight;
}
