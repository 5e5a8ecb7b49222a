/** haproxy.cfg of the HAProxy lab director (pure): mode tcp, `balance` as asked, runtime API on a unix socket. */

export interface HaproxyConfigOptions {
  socket: string;
  pidFile: string;
  bind: { host: string; port: number };
  backend: string;
  /** `balance` algorithm; default roundrobin. */
  balance?: string;
  servers: ReadonlyArray<{ name: string; host: string; port: number; weight?: number }>;
  /** A second frontend and backend of the same servers on another port (the lab's HTTP service), still mode tcp. */
  http?: { port: number; backend: string };
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
${
  o.http
    ? `
frontend ${o.http.backend}
  bind ${o.bind.host}:${o.http.port}
  default_backend ${o.http.backend}

backend ${o.http.backend}
  balance roundrobin
${o.servers.map((s) => `  server ${s.name} ${s.host}:${o.http!.port} weight ${s.weight ?? 1}`).join('\n')}
`
    : ''
}`;
}
