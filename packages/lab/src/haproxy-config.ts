/** haproxy.cfg of the HAProxy lab director (pure): mode tcp, `balance` as asked, runtime API on a unix socket. */

export interface HaproxyConfigOptions {
  socket: string;
  pidFile: string;
  bind: { host: string; port: number };
  backend: string;
  /** `balance` algorithm; default roundrobin. */
  balance?: string;
  servers: ReadonlyArray<{ name: string; host: string; port: number; weight?: number }>;
}

export function haproxyConfig(o: HaproxyConfigOptions): string {
  return `global
  stats socket ${o.socket} mode 600 level admin
  pidfile ${o.pidFile}
  maxconn 4096

defaults
  mode tcp
  timeout connect 2s
  # Long enough for a drain test to hold its old connections idle between lines.
  timeout client 10m
  timeout server 10m

frontend lab
  bind ${o.bind.host}:${o.bind.port}
  default_backend ${o.backend}

backend ${o.backend}
  balance ${o.balance ?? 'roundrobin'}
${o.servers.map((s) => `  server ${s.name} ${s.host}:${s.port} weight ${s.weight ?? 1}`).join('\n')}
`;
}
