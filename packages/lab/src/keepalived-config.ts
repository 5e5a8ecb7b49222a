/**
 * keepalived.conf of the keepalived lab director (pure), as an LVS-DR director is commonly run: keepalived
 * owns the virtual server (wrr, DR) and health-checks every real server. Each real server has a TCP_CHECK
 * on its service port and a FILE_CHECK on a track file of its own (`weight 0`: any non-zero value fails
 * it), with `inhibit_on_failure`, so a failed check sets weight 0 and keeps the server's connections —
 * the drain by file the keepalived driver offers beside the drain by weight. Checks run every second and
 * one failure counts, so a checker transition shows within about two seconds.
 *
 * No MISC_CHECK: the VM has no Node for `rs-server check`, and with misc_dynamic the check's exit status,
 * not the written weight, sets the server's weight — the drain by weight could not be tested on it.
 */
export const KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf';
export const KEEPALIVED_PID = '/run/keepalived.pid';

/** The track file of a real server (a drain by file writes 1 into it). */
export const trackFilePath = (name: string) => `/etc/keepalived/drain-${name}`;
export const trackFileName = (name: string) => `drain_${name}`;

export interface KeepalivedConfigOptions {
  id: string;
  vip: { host: string; port: number };
  reals: ReadonlyArray<{ name: string; host: string; port: number; weight?: number }>;
  /** A second virtual server on the VIP, the real servers' HTTP service (nginx) on this port (drained by weight). */
  httpPort?: number;
}

export function keepalivedConfig(o: KeepalivedConfigOptions): string {
  const trackFiles = o.reals.map(
    (r) => `track_file ${trackFileName(r.name)} {
    file "${trackFilePath(r.name)}"
    weight 0
    init_file 0
}
`,
  );
  // The track files drain the line service's servers only: the driver refuses a track file that
  // would drain more than the one server it is asked for.
  const fileCheck = (name: string) => `        FILE_CHECK {
            track_file ${trackFileName(name)}
        }
`;
  const servers = (http: boolean) =>
    o.reals.map(
      (r) => `    real_server ${r.host} ${http ? o.httpPort : r.port} {
        weight ${r.weight ?? 1}
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
${http ? '' : fileCheck(r.name)}    }
`,
    );
  const virtualServer = (port: number, http: boolean) => `virtual_server ${o.vip.host} ${port} {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP

${servers(http).join('\n')}}
`;
  return `! lvs-drain-kit lab ${o.id}: keepalived owns the virtual server and checks the real servers.
global_defs {
    router_id ldk_${o.id}
}

${trackFiles.join('\n')}
${virtualServer(o.vip.port, false)}${o.httpPort !== undefined ? `\n${virtualServer(o.httpPort, true)}` : ''}`;
}
