/**
 * Drives IPVS with ipvsadm through any transport (local, ssh, the lab VM's serial line, the builtin lab).
 * Every edit first lists the service (`-L -n --tun-info`, `-L -n --thresholds`) so that `-e`, which
 * resets whatever it is not given, repeats the forwarding method, thresholds and tunnel settings; a
 * setting it cannot repeat is refused before anything is changed.
 */
import { AddressResolver, type CommandTransport, formatHostPort, shellJoin, shellQuote } from '@lvs-drain-kit/common';
import type { z } from 'zod';
import { type DriverDefinition, type DriverFlags, specSchema, type Zod } from '../definition.js';
import { DriverError, DriverSpecError } from '../errors.js';
import { createDirectorTransport, DIRECTOR_FLAG } from '../transports/factory.js';
import type { DirectorState, DrainDriver, RealServerRef, ServiceRef } from '../types.js';
import { ipvsSysctlWarnings, SYSCTL_PATHS } from './ipvs-sysctls.js';
import { ipvsConnections } from './ipvsadm-connections.js';
import { ipvsConnectionCounts } from './ipvsadm-counts.js';
import {
  editWeightArgv,
  findDest,
  findService,
  type IpvsDest,
  type IpvsService,
  type IpvsServiceKey,
  parseIpvsadmList,
  serviceArgs,
  serviceName,
} from './ipvsadm-list.js';
import { keepalivedOwnerWarning } from './keepalived-owner.js';

/** How the virtual service is named to ipvsadm: shared by the ipvsadm and manual drivers. */
export interface IpvsServiceSettings {
  /** `-t`, `-u` or `--sctp-service` with the VIP; default tcp. */
  protocol?: 'tcp' | 'udp' | 'sctp';
  /** A firewall-mark service (`-f MARK`): the VIP is then only where probes connect. */
  fwmark?: number;
}

/** The settings of every driver that runs ipvsadm on a director. */
export const ipvsSettings = (z: Zod) => ({
  director: z.string().min(1).optional(),
  protocol: z.enum(['tcp', 'udp', 'sctp']).optional(),
  fwmark: z.number().int().min(1).max(0xffff_ffff).optional(),
});

const schema = specSchema('ipvsadm', ipvsSettings);
export type IpvsadmSpec = z.output<ReturnType<typeof schema>>;

/** Their flags, one definition shared by the kinds that use them. */
export const IPVS_FLAGS: DriverFlags<IpvsadmSpec> = {
  director: DIRECTOR_FLAG,
  protocol: {
    flag: '--ipvs-protocol <tcp|udp|sctp>',
    help: 'the virtual service is -t (default), -u or --sctp-service VIP (drain-test probes tcp only)',
  },
  fwmark: {
    flag: '--ipvs-fwmark <mark>',
    help: 'the virtual service is firewall mark MARK (ipvsadm -f); --vip is where the probes connect',
    parse: (text: string) => {
      const n = /^(0x[0-9a-f]+|\d+)$/i.test(text.trim()) ? Number(text.trim()) : Number.NaN;
      if (!(Number.isInteger(n) && n >= 1 && n <= 0xffff_ffff))
        throw new DriverSpecError(`invalid --ipvs-fwmark "${text}": expected a mark 1-4294967295`);
      return n;
    },
  },
};

export const ipvsadmDriver: DriverDefinition<IpvsadmSpec> = {
  kind: 'ipvsadm',
  description: 'IPVS through ipvsadm, here or on --director (ssh, the lab VM)',
  schema,
  flags: IPVS_FLAGS,
  examples: [
    { kind: 'ipvsadm', director: 'ssh://root@172.16.0.113' },
    { kind: 'ipvsadm', protocol: 'udp' },
    { kind: 'ipvsadm', director: 'ssh://root@lb1', fwmark: 1 },
  ],
  create: async (spec) =>
    createIpvsadmDriver({ transport: await createDirectorTransport(spec.director), service: serviceSettings(spec) }),
};

/** The service settings of a spec; a protocol and a mark together are a usage error. */
export function serviceSettings(spec: IpvsServiceSettings): IpvsServiceSettings {
  if (spec.protocol !== undefined && spec.fwmark !== undefined) {
    throw new DriverSpecError(
      '--ipvs-protocol and --ipvs-fwmark: a firewall-mark service has no protocol of its own; give one of them',
    );
  }
  return { ...(spec.protocol ? { protocol: spec.protocol } : {}), ...(spec.fwmark ? { fwmark: spec.fwmark } : {}) };
}

export interface IpvsadmDriverOptions {
  transport: CommandTransport;
  /** Which kind of virtual service the VIP names; default TCP. */
  service?: IpvsServiceSettings;
  /** 'ipvsadm', or 'builtin' for the lab director that speaks ipvsadm, or 'manual'. */
  name?: string;
  description?: string;
  /** Read `uname -r` and the IPVS sysctls too (a real kernel). Default true. */
  readKernel?: boolean;
  /** With readKernel: warn when a running keepalived owns the service (it would put the weight back). Default true. */
  keepalivedCheck?: boolean;
  /** How a person runs an ipvsadm argv by hand on this director; default: as is, or through ssh. */
  manual?: (argv: string[]) => string;
  /** Carries out an edit; default: runs `ipvsadm ARGV` through the transport. The manual driver asks a person. */
  apply?: (argv: string[]) => Promise<void>;
  timeoutMs?: number;
}

export function createIpvsadmDriver(options: IpvsadmDriverOptions): DrainDriver {
  const { transport } = options;
  const settings = serviceSettings(options.service ?? {});
  const name = options.name ?? 'ipvsadm';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const readKernel = options.readKernel ?? true;
  const manual =
    options.manual ??
    ((argv: string[]) => {
      const cmd = shellJoin(['ipvsadm', ...argv]);
      return transport.description.startsWith('ssh ') ? `${transport.description} ${shellQuote(cmd)}` : cmd;
    });
  const apply =
    options.apply ??
    (async (argv: string[]) => {
      await ipvsadm(argv);
    });
  const resolver = new AddressResolver();
  /** The service and real server as last listed, so a command for a person repeats what they hold. */
  const lastSeen = new Map<string, { service: IpvsService; dest: IpvsDest }>();
  /** ipvsadm before 1.31 (and the builtin lab) know no --tun-info. */
  let tunInfo = true;

  async function ipvsadm(args: string[]): Promise<string> {
    const r = await transport.run(['ipvsadm', ...args], { timeoutMs });
    if (r.exitCode === 127)
      throw new DriverError(`ipvsadm not found on the director (${transport.description})`, r.stderr);
    if (r.exitCode !== 0) {
      throw new DriverError(
        `ipvsadm ${args.join(' ')} failed with exit code ${r.exitCode} (${transport.description}): ${r.stderr.trim()}`,
        r.stderr,
      );
    }
    return r.stdout;
  }

  async function keyOf(service: ServiceRef): Promise<IpvsServiceKey> {
    if (settings.fwmark !== undefined) {
      const vip = await resolver.host(service.vip.host);
      return { protocol: 'FWM', fwmark: settings.fwmark, ipv6: vip.includes(':') };
    }
    const protocol = (settings.protocol ?? 'tcp').toUpperCase() as 'TCP' | 'UDP' | 'SCTP';
    return { protocol, vip: await resolver.resolve(service.vip) };
  }

  /** The service, with each real server's forwarding, tunnel and thresholds: two listings. */
  async function readService(service: ServiceRef): Promise<{ service: IpvsService; raw: string }> {
    const key = await keyOf(service);
    const args = serviceArgs(key);
    let raw: string | undefined;
    if (tunInfo) {
      const r = await transport.run(['ipvsadm', '-L', '-n', '--tun-info', ...args], { timeoutMs });
      if (r.exitCode === 0) raw = r.stdout;
      else if (/unknown option|unrecognized option|invalid option/i.test(r.stderr)) tunInfo = false;
      else if (r.exitCode === 127)
        throw new DriverError(`ipvsadm not found on the director (${transport.description})`, r.stderr);
      else {
        throw new DriverError(
          `ipvsadm -L -n --tun-info ${args.join(' ')} failed with exit code ${r.exitCode} (${transport.description}): ${r.stderr.trim()}`,
          r.stderr,
        );
      }
    }
    raw ??= await ipvsadm(['-L', '-n', ...args]);
    const found = findService(parseIpvsadmList(raw), key);
    if (!found) throw new DriverError(`the director has no virtual service ${serviceName(key)}`, raw);
    // Real ipvsadm (1.31) prints no Forward/Weight columns with --thresholds: read the thresholds apart.
    const thresholds = findService(parseIpvsadmList(await ipvsadm(['-L', '-n', '--thresholds', ...args])), key);
    for (const d of found.servers) {
      const t = thresholds?.servers.find((x) => x.host === d.host && x.port === d.port);
      if (t?.upperThreshold !== undefined) d.upperThreshold = t.upperThreshold;
      if (t?.lowerThreshold !== undefined) d.lowerThreshold = t.lowerThreshold;
    }
    return { service: found, raw };
  }

  /** The real server as listed; its edit is built (and so checked) before anything is changed. */
  async function readDest(service: ServiceRef, real: RealServerRef) {
    const { service: s } = await readService(service);
    const dest = findDest(s, await resolver.resolve(real));
    if (dest) {
      editWeightArgv(s, dest, dest.weight);
      lastSeen.set(formatHostPort(real), { service: s, dest });
    }
    return { service: s, dest };
  }

  const description =
    options.description ?? `${name === 'ipvsadm' ? 'ipvsadm' : `${name} (ipvsadm)`} via ${transport.description}`;
  return {
    name,
    description,
    ...(settings.fwmark === undefined ? { protocol: settings.protocol ?? 'tcp' } : {}),

    async inspect(service) {
      const { service: s, raw } = await readService(service);
      const state: DirectorState = {
        scheduler: s.scheduler,
        ...(s.persistent !== undefined ? { persistent: s.persistent } : {}),
        servers: s.servers.map((d) => ({
          host: d.host,
          port: d.port,
          weight: d.weight,
          forwarding: d.forwarding,
          ...(d.tunnelInfo !== undefined && d.tunnelInfo !== 'n/a' ? { tunnel: d.tunnelInfo } : {}),
          activeConn: d.activeConn,
          inactConn: d.inactConn,
        })),
        warnings: [],
        raw,
      };
      if (readKernel) {
        const uname = await transport.run(['uname', '-r'], { timeoutMs });
        if (uname.exitCode === 0) state.kernel = uname.stdout.trim();
        const sys = await transport.run(['grep', '-H', '.', ...SYSCTL_PATHS], { timeoutMs });
        const sysctls: Record<string, string> = {};
        for (const line of sys.stdout.split('\n')) {
          const m = /^\/proc\/sys\/(.+?):(.*)$/.exec(line);
          if (m) sysctls[m[1]!.replaceAll('/', '.')] = m[2]!.trim();
        }
        state.sysctls = sysctls;
        state.warnings = ipvsSysctlWarnings(sysctls, s);
        if (options.keepalivedCheck ?? true) {
          const owner = await keepalivedOwnerWarning(transport, service);
          if (owner) state.warnings.push(owner);
        }
      }
      return state;
    },

    async getWeight(service, real) {
      return (await readDest(service, real)).dest?.weight;
    },

    async setWeight(service, real, weight) {
      const { service: s, dest } = await readDest(service, real);
      if (!dest) throw new DriverError(`real server ${formatHostPort(real)} is not in ${serviceName(s)}`);
      await apply(editWeightArgv(s, dest, weight));
    },

    describeChange(_service, real, weight) {
      const seen = lastSeen.get(formatHostPort(real));
      return seen ? shellJoin(['ipvsadm', ...editWeightArgv(seen.service, seen.dest, weight)]) : description;
    },

    manualCommand(service, real, weight) {
      const seen = lastSeen.get(formatHostPort(real));
      if (seen) return manual(editWeightArgv(seen.service, seen.dest, weight));
      // Never read: an `-e` without the real server's settings would reset them. Say what to read first.
      const args = shellJoin(
        settings.fwmark !== undefined ? ['-f', String(settings.fwmark)] : ['-t', formatHostPort(service.vip)],
      );
      return `# first read its forwarding, thresholds and tunnel: ipvsadm -L -n --tun-info ${args}; ipvsadm -L -n --thresholds ${args}; then: ipvsadm -e ${args} -r ${formatHostPort(real)} (those options) -w ${weight}`;
    },

    connectionTable: name === 'ipvsadm' ? 'ipvsadm -L -n -c' : `ipvsadm -L -n -c of the ${name} director`,
    listConnections: (service) => ipvsConnections(ipvsadm, service),
    connectionCounts: async (service) => ipvsConnectionCounts(ipvsadm, await keyOf(service)),
  };
}
