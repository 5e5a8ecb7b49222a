import { canonicalHost, formatHostPort, parseHostPort, sameHostPort } from '@lvs-drain-kit/common';
import { UnsupportedSetupError } from '../errors.js';

/** One virtual service of `ipvsadm -L -n` (with or without `--tun-info` or `--thresholds`). */
export interface IpvsService {
  protocol: IpvsProtocol;
  /** `HOST:PORT` as printed, or the firewall mark for FWM services. */
  address: string;
  /** An IPv6 firewall-mark service (`FWM  2 IPv6`): edited with `-6`. */
  ipv6?: boolean;
  scheduler: string;
  /** The rest of the service line, e.g. `persistent 300`. */
  flags: string;
  persistent?: number;
  servers: IpvsDest[];
}

export type IpvsProtocol = 'TCP' | 'UDP' | 'SCTP' | 'FWM';

export interface IpvsDest {
  host: string;
  /** 0 for a firewall-mark service's real server added without a port (it takes the packet's port). */
  port: number;
  /** Route, Masq, Tunnel, Local (FullNat on patched kernels). */
  forwarding: string;
  weight: number;
  upperThreshold?: number;
  lowerThreshold?: number;
  /** The TunnelInfo column of `--tun-info`, as printed: `n/a`, `ipip`, `gue:6080:-c`, `gre:+c`. */
  tunnelInfo?: string;
  activeConn?: number;
  inactConn?: number;
}

export class IpvsadmParseError extends Error {
  override name = 'IpvsadmParseError';
}

const SERVICE = /^(TCP|UDP|SCTP)\s+(\S+)\s+(\S+)(.*)$/;
const FWM_SERVICE = /^FWM\s+(\d+)( IPv6)?\s+(\S+)(.*)$/;
const COLUMN_KEYS: Record<string, keyof IpvsDest> = {
  Forward: 'forwarding',
  TunnelInfo: 'tunnelInfo',
  Weight: 'weight',
  Uthreshold: 'upperThreshold',
  Lthreshold: 'lowerThreshold',
  ActiveConn: 'activeConn',
  InActConn: 'inactConn',
};
const TEXT_COLUMNS: ReadonlySet<keyof IpvsDest> = new Set(['forwarding', 'tunnelInfo']);

/** Parses the text of `ipvsadm -L -n [--tun-info | --thresholds]`; columns are taken from the header line. */
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
      // Port 0: a firewall-mark service's real server added without a port.
      const hp = parseHostPort(dest[1]!, undefined, { allowZero: true });
      const d: IpvsDest = { host: hp.host, port: hp.port, forwarding: '', weight: 0 };
      columns.forEach((name, i) => {
        const key = COLUMN_KEYS[name];
        const value = values[i];
        if (!key || value === undefined) return;
        if (TEXT_COLUMNS.has(key)) (d as unknown as Record<string, string>)[key] = value;
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
    const fwm = m ? undefined : FWM_SERVICE.exec(line);
    if (!m && !fwm) throw new IpvsadmParseError(`unexpected line in ipvsadm output: "${line}"`);
    const flags = (m ? m[4]! : fwm![4]!).trim();
    const persistent = /\bpersistent (\d+)/.exec(flags);
    services.push({
      protocol: m ? (m[1] as IpvsProtocol) : 'FWM',
      address: m ? m[2]! : fwm![1]!,
      ...(fwm?.[2] ? { ipv6: true } : {}),
      scheduler: m ? m[3]! : fwm![3]!,
      flags,
      ...(persistent ? { persistent: Number(persistent[1]) } : {}),
      servers: [],
    });
  }
  return services;
}

/** Which virtual service: a protocol and its address, or a firewall mark (`ipvsadm -f`). */
export type IpvsServiceKey =
  | { protocol: 'TCP' | 'UDP' | 'SCTP'; vip: { host: string; port: number } }
  | { protocol: 'FWM'; fwmark: number; ipv6: boolean };

/** The arguments that name a service to ipvsadm: `-t VIP:PORT`, `-u …`, `--sctp-service …`, `-f MARK [-6]`. */
export function serviceArgs(key: IpvsServiceKey): string[] {
  if (key.protocol === 'FWM') return ['-f', String(key.fwmark), ...(key.ipv6 ? ['-6'] : [])];
  const flag = key.protocol === 'UDP' ? '-u' : key.protocol === 'SCTP' ? '--sctp-service' : '-t';
  return [flag, formatHostPort({ host: canonicalHost(key.vip.host), port: key.vip.port })];
}

/** The service as ipvsadm names it on its service line: `TCP 198.18.0.100:2100`, `FWM 1`, `FWM 2 IPv6`. */
export function serviceName(key: IpvsServiceKey | IpvsService): string {
  if ('address' in key) return `${key.protocol} ${key.address}${key.ipv6 ? ' IPv6' : ''}`;
  if (key.protocol === 'FWM') return `FWM ${key.fwmark}${key.ipv6 ? ' IPv6' : ''}`;
  return `${key.protocol} ${formatHostPort({ host: canonicalHost(key.vip.host), port: key.vip.port })}`;
}

/** The listed service `key` names, however its address was spelled. */
export function findService(services: readonly IpvsService[], key: IpvsServiceKey): IpvsService | undefined {
  return services.find((s) => {
    if (s.protocol !== key.protocol) return false;
    if (key.protocol === 'FWM') return s.address === String(key.fwmark) && (s.ipv6 ?? false) === key.ipv6;
    return sameHostPort(parseHostPort(s.address), key.vip);
  });
}

/**
 * The listed real server `real` is, however its address was spelled. A firewall-mark service's real
 * server added without a port is listed with port 0 and matches any port.
 */
export function findDest(service: IpvsService, real: { host: string; port: number }): IpvsDest | undefined {
  return (
    service.servers.find((d) => sameHostPort(d, real)) ??
    (service.protocol === 'FWM'
      ? service.servers.find((d) => d.port === 0 && sameHostPort(d, { ...real, port: 0 }))
      : undefined)
  );
}

/** A real server's tunnel, as `--tun-info` prints it and `--tun-type` … set it. */
export type IpvsTunnel =
  | { type: 'ipip' }
  | { type: 'gue'; port: number; checksum: TunnelChecksum }
  | { type: 'gre'; checksum: TunnelChecksum };
export type TunnelChecksum = 'nocsum' | 'csum' | 'remcsum';

const CHECKSUM: Record<string, TunnelChecksum> = { '-c': 'nocsum', '+c': 'csum', 'r+c': 'remcsum' };

/** Reads ipvsadm 1.31's TunnelInfo (`ipip`, `gue:6080:-c`, `gre:+c`); undefined for anything else. */
export function parseTunnelInfo(text: string): IpvsTunnel | undefined {
  if (text === 'ipip') return { type: 'ipip' };
  const gue = /^gue:(\d{1,5}):(-c|\+c|r\+c)$/.exec(text);
  if (gue && Number(gue[1]) >= 1 && Number(gue[1]) <= 65535)
    return { type: 'gue', port: Number(gue[1]), checksum: CHECKSUM[gue[2]!]! };
  // ipvsadm takes no --tun-remcsum for gre: a gre:r+c set by other means could not be repeated.
  const gre = /^gre:(-c|\+c)$/.exec(text);
  if (gre) return { type: 'gre', checksum: CHECKSUM[gre[1]!]! };
  return undefined;
}

/** The options that set `tunnel` again: `--tun-type gue --tun-port 6080 --tun-csum`. */
export function tunnelArgs(tunnel: IpvsTunnel): string[] {
  const args = ['--tun-type', tunnel.type];
  if (tunnel.type === 'gue') args.push('--tun-port', String(tunnel.port));
  if (tunnel.type !== 'ipip') args.push(`--tun-${tunnel.checksum}`);
  return args;
}

const FORWARD_FLAG: Record<string, string> = { Route: '-g', Masq: '-m', Tunnel: '-i' };

/**
 * argv (without the program name) of `ipvsadm -e` that changes only the weight. `-e` resets whatever it
 * is not given — forwarding method, thresholds, tunnel type, port and checksum — so all of them are
 * repeated as `dest` lists them. A setting this function cannot repeat exactly is refused (never
 * replaced by a default): an UnsupportedSetupError, before anything is changed.
 */
export function editWeightArgv(service: IpvsService, dest: IpvsDest, weight: number): string[] {
  const where = `real server ${formatHostPort(dest)} of ${serviceName(service)}`;
  const fwd = FORWARD_FLAG[dest.forwarding];
  if (!fwd) {
    throw new UnsupportedSetupError(
      `${where} forwards by "${dest.forwarding}", which ipvsadm -e cannot be told again (only Route -g, Masq -m, Tunnel -i): nothing was changed; change its weight by other means`,
    );
  }
  const key: IpvsServiceKey =
    service.protocol === 'FWM'
      ? { protocol: 'FWM', fwmark: Number(service.address), ipv6: service.ipv6 ?? false }
      : { protocol: service.protocol, vip: parseHostPort(service.address) };
  const argv = ['-e', ...serviceArgs(key), '-r', formatHostPort(dest), fwd, '-w', String(weight)];
  if (dest.upperThreshold) argv.push('-x', String(dest.upperThreshold));
  if (dest.lowerThreshold) argv.push('-y', String(dest.lowerThreshold));
  if (dest.forwarding === 'Tunnel') {
    if (dest.tunnelInfo === undefined) {
      throw new UnsupportedSetupError(
        `${where} is a tunnel, and this ipvsadm cannot show its tunnel type, port and checksum (--tun-info, ipvsadm 1.31+): -e would reset them to plain ipip; nothing was changed — upgrade ipvsadm on the director`,
      );
    }
    const tunnel = parseTunnelInfo(dest.tunnelInfo);
    if (!tunnel) {
      throw new UnsupportedSetupError(
        `${where} has tunnel settings "${dest.tunnelInfo}" that this driver cannot repeat (it knows ipip, gue:PORT:-c|+c|r+c, gre:-c|+c): nothing was changed; change its weight by other means`,
      );
    }
    argv.push(...tunnelArgs(tunnel));
  }
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
