import { formatHostPort, parseHostPort } from '@lvs-drain-kit/common';

/** One virtual service of `ipvsadm -L -n` (with or without `--thresholds`). */
export interface IpvsService {
  protocol: 'TCP' | 'UDP' | 'SCTP' | 'FWM';
  /** `HOST:PORT`, or the firewall mark for FWM services. */
  address: string;
  scheduler: string;
  /** The rest of the service line, e.g. `persistent 300`. */
  flags: string;
  persistent?: number;
  servers: IpvsDest[];
}

export interface IpvsDest {
  host: string;
  port: number;
  /** Route, Masq, Tunnel, Local (FullNat on patched kernels). */
  forwarding: string;
  weight: number;
  upperThreshold?: number;
  lowerThreshold?: number;
  activeConn?: number;
  inactConn?: number;
}

export class IpvsadmParseError extends Error {
  override name = 'IpvsadmParseError';
}

const SERVICE = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)(.*)$/;
const COLUMN_KEYS: Record<string, keyof IpvsDest> = {
  Forward: 'forwarding',
  Weight: 'weight',
  Uthreshold: 'upperThreshold',
  Lthreshold: 'lowerThreshold',
  ActiveConn: 'activeConn',
  InActConn: 'inactConn',
};

/** Parses the text of `ipvsadm -L -n [--thresholds]`; columns are taken from the header line. */
export function parseIpvsadmList(text: string): IpvsService[] {
  const services: IpvsService[] = [];
  let columns: string[] = ['Forward', 'Weight', 'ActiveConn', 'InActConn'];
  let protColumns: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line.startsWith('Prot ')) {
      // ipvsadm 1.31 --thresholds puts the real servers' columns on this line, after LocalAddress:Port.
      protColumns = line.split(/\s+/).slice(2);
      continue;
    }
    if (line.length === 0 || line.startsWith('IP Virtual Server')) continue;
    const dest = /^\s+->\s+(\S+)\s*(.*)$/.exec(line);
    if (dest) {
      if (dest[1] === 'RemoteAddress:Port') {
        columns = dest[2] ? dest[2].split(/\s+/) : protColumns;
        continue;
      }
      const service = services.at(-1);
      if (!service) throw new IpvsadmParseError(`real server before any service: "${line}"`);
      const values = dest[2]!.split(/\s+/);
      const hp = parseHostPort(dest[1]!);
      const d: IpvsDest = { host: hp.host, port: hp.port, forwarding: '', weight: 0 };
      columns.forEach((name, i) => {
        const key = COLUMN_KEYS[name];
        const value = values[i];
        if (!key || value === undefined) return;
        if (key === 'forwarding') d.forwarding = value;
        else {
          const n = Number(value);
          if (!Number.isInteger(n)) throw new IpvsadmParseError(`bad ${name} "${value}" in "${line}"`);
          (d as unknown as Record<string, number>)[key] = n;
        }
      });
      service.servers.push(d);
      continue;
    }
    const m = SERVICE.exec(line);
    if (!m) throw new IpvsadmParseError(`unexpected line in ipvsadm output: "${line}"`);
    const flags = m[4]!.trim();
    const persistent = /\bpersistent (\d+)/.exec(flags);
    services.push({
      protocol: m[1] as IpvsService['protocol'],
      address: m[2]!,
      scheduler: m[3]!,
      flags,
      ...(persistent ? { persistent: Number(persistent[1]) } : {}),
      servers: [],
    });
  }
  return services;
}

/** The service line's address for a VIP, as ipvsadm prints it. */
export function serviceAddress(vip: { host: string; port: number }): string {
  return formatHostPort(vip);
}

const FORWARD_FLAG: Record<string, string> = { Route: '-g', Masq: '-m', Tunnel: '-i' };

/**
 * argv (without the program name) of `ipvsadm -e` that changes only the weight:
 * `-e` resets what it is not given, so the forwarding method and thresholds read before are repeated.
 */
export function editWeightArgv(
  protocol: IpvsService['protocol'],
  vip: string,
  dest: IpvsDest | undefined,
  real: { host: string; port: number },
  weight: number,
): string[] {
  const serviceFlag =
    protocol === 'UDP' ? '-u' : protocol === 'SCTP' ? '--sctp-service' : protocol === 'FWM' ? '-f' : '-t';
  const argv = ['-e', serviceFlag, vip, '-r', formatHostPort(real)];
  const fwd = dest ? FORWARD_FLAG[dest.forwarding] : undefined;
  if (fwd) argv.push(fwd);
  argv.push('-w', String(weight));
  if (dest?.upperThreshold) argv.push('-x', String(dest.upperThreshold));
  if (dest?.lowerThreshold) argv.push('-y', String(dest.lowerThreshold));
  return argv;
}

const FORWARD_NAME: Record<string, string> = { '-g': 'Route', '-m': 'Masq', '-i': 'Tunnel' };
export function forwardingName(flag: string): string | undefined {
  return FORWARD_NAME[flag];
}

/**
 * Formats a listing exactly like ipvsadm 1.31 `-L -n` (the builtin lab director answers with it).
 * With `--thresholds` the real tool prints no Forward/Weight columns and names the columns on the Prot line.
 */
export function formatIpvsadmList(services: IpvsService[], options: { thresholds?: boolean } = {}): string {
  const out = ['IP Virtual Server version 1.2.1 (size=4096)'];
  if (options.thresholds) {
    out.push(
      'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ',
      '  -> RemoteAddress:Port',
    );
  } else {
    out.push(
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
    );
  }
  for (const s of services) {
    out.push(`${s.protocol}  ${s.address} ${s.scheduler}${s.flags ? ` ${s.flags}` : ''}`);
    for (const d of s.servers) {
      const cols = options.thresholds
        ? [d.upperThreshold ?? 0, d.lowerThreshold ?? 0, d.activeConn ?? 0, d.inactConn ?? 0].map((n) =>
            String(n).padEnd(10),
          )
        : [
            d.forwarding.padEnd(7),
            String(d.weight).padEnd(6),
            String(d.activeConn ?? 0).padEnd(10),
            String(d.inactConn ?? 0).padEnd(10),
          ];
      out.push(`  -> ${formatHostPort(d).padEnd(28)} ${cols.join(' ')}`);
    }
  }
  return `${out.join('\n')}\n`;
}
