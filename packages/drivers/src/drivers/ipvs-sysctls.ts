import type { IpvsService } from './ipvsadm-list.js';

export const SYSCTL_PATHS = [
  '/proc/sys/net/ipv4/vs/conn_reuse_mode',
  '/proc/sys/net/ipv4/vs/expire_nodest_conn',
  '/proc/sys/net/ipv4/vs/expire_quiescent_template',
];

/** One line per IPVS setting known to let new connections reach a weight-0 server. */
export function ipvsSysctlWarnings(sysctls: Record<string, string>, service: IpvsService): string[] {
  const warnings: string[] = [];
  const reuse = sysctls['net.ipv4.vs.conn_reuse_mode'];
  const dr = service.servers.some((d) => d.forwarding === 'Route' || d.forwarding === 'Tunnel');
  if (reuse === '0') {
    warnings.push(
      'net.ipv4.vs.conn_reuse_mode=0: a client reconnecting from a reused source port reaches the drained server again; set it to 1 (NAT) or 3 (DR)',
    );
  } else if (reuse === '1' && dr) {
    warnings.push(
      'net.ipv4.vs.conn_reuse_mode=1 on a DR/TUN service: a reconnect from a reused source port within the FIN timeout reaches the drained server (the director never sees the server close); 3 closes that gap',
    );
  }
  if (service.persistent !== undefined && sysctls['net.ipv4.vs.expire_quiescent_template'] === '0') {
    warnings.push(
      `persistent service (${service.persistent}s) with net.ipv4.vs.expire_quiescent_template=0: clients with a template keep reaching a weight-0 server; set it to 1`,
    );
  }
  return warnings;
}
