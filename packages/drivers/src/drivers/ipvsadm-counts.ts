/** ActiveConn and InActConn per real server, read for the wait until a drained server is empty. */
import { formatHostPort } from '@lvs-drain-kit/common';
import { DriverError } from '../errors.js';
import type { ConnectionCount } from '../types.js';
import { findService, type IpvsServiceKey, parseIpvsadmList, serviceArgs, serviceName } from './ipvsadm-list.js';

/**
 * `ipvsadm -L -n -t VIP` (or `-u`, `--sctp-service`, `-f MARK`): every real server of the service with
 * its ActiveConn (ESTABLISHED) and InActConn (every other state the table still holds: FIN_WAIT,
 * TIME_WAIT, … until their timeouts). `ipvsadm` runs the tool with these arguments on the director and
 * returns its stdout.
 */
export async function ipvsConnectionCounts(
  ipvsadm: (args: string[]) => Promise<string>,
  key: IpvsServiceKey,
): Promise<ConnectionCount[]> {
  const raw = await ipvsadm(['-L', '-n', ...serviceArgs(key)]);
  const found = findService(parseIpvsadmList(raw), key);
  if (!found) throw new DriverError(`the director has no virtual service ${serviceName(key)}`, raw);
  return found.servers.map((d) => {
    if (d.activeConn === undefined || d.inactConn === undefined)
      throw new DriverError(`ipvsadm -L -n printed no ActiveConn/InActConn for ${formatHostPort(d)}`, raw);
    return { host: d.host, port: d.port, active: d.activeConn, inactive: d.inactConn };
  });
}
