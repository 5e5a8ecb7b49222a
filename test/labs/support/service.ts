import type { LabInfo } from '@lvs-drain-kit/lab';

/**
 * A lab as one of its services: the line service (rs-server) as it is, or its HTTP service (nginx on
 * the same real servers) with that service's address, ports and driver in their place.
 */
export function serviceOf(info: LabInfo, service: 'line' | 'http'): LabInfo {
  if (service === 'line') return info;
  if (!info.http) throw new Error(`the ${info.engine} lab has no HTTP service`);
  return { ...info, vip: info.http.vip, reals: info.http.reals, driver: info.http.driver };
}
