import { type CommandTransport, formatHostPort, shellJoin, shellQuote } from '@lvs-drain-kit/common';
import type { z } from 'zod';
import { type DriverDefinition, specSchema } from '../definition.js';
import { DriverError } from '../errors.js';
import { createDirectorTransport, DIRECTOR_FLAG } from '../transports/factory.js';
import type { DirectorState, DrainDriver, RealServerRef, ServiceRef } from '../types.js';
import { ipvsSysctlWarnings, SYSCTL_PATHS } from './ipvs-sysctls.js';
import { editWeightArgv, type IpvsDest, type IpvsService, parseIpvsadmList } from './ipvsadm-list.js';

const schema = specSchema('ipvsadm', (z) => ({
  director: z.string().min(1).optional(),
}));
export type IpvsadmSpec = z.output<ReturnType<typeof schema>>;

export const ipvsadmDriver: DriverDefinition<IpvsadmSpec> = {
  kind: 'ipvsadm',
  description: 'IPVS through ipvsadm, here or on --director (ssh, the lab VM)',
  schema,
  flags: { director: DIRECTOR_FLAG },
  examples: [{ kind: 'ipvsadm', director: 'ssh://root@172.16.0.113' }],
  create: async (spec) => createIpvsadmDriver({ transport: await createDirectorTransport(spec.director) }),
};

export interface IpvsadmDriverOptions {
  transport: CommandTransport;
  /** 'ipvsadm', or 'builtin' for the lab director that speaks ipvsadm. */
  name?: string;
  /** Read `uname -r` and the IPVS sysctls too (a real kernel). Default true. */
  readKernel?: boolean;
  /** How a person runs an ipvsadm argv by hand on this director; default: as is, or through ssh. */
  manual?: (argv: string[]) => string;
  timeoutMs?: number;
}

/**
 * Drives IPVS with ipvsadm through any transport (local, ssh, the lab VM's serial line).
 * Every edit first reads `ipvsadm -L -n` so that `-e` repeats the forwarding method and thresholds.
 */
export function createIpvsadmDriver(options: IpvsadmDriverOptions): DrainDriver {
  const { transport } = options;
  const name = options.name ?? 'ipvsadm';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const readKernel = options.readKernel ?? true;
  const manual =
    options.manual ??
    ((argv: string[]) => {
      const cmd = shellJoin(['ipvsadm', ...argv]);
      return transport.description.startsWith('ssh ') ? `${transport.description} ${shellQuote(cmd)}` : cmd;
    });
  const lastSeen = new Map<string, { service: IpvsService; dest: IpvsDest | undefined }>();

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

  async function readService(service: ServiceRef): Promise<{ service: IpvsService; raw: string }> {
    const vip = formatHostPort(service.vip);
    const raw = await ipvsadm(['-L', '-n', '-t', vip]);
    const found = parseIpvsadmList(raw).find((s) => s.address === vip);
    if (!found) throw new DriverError(`the director has no virtual service TCP ${vip}`, raw);
    // Real ipvsadm (1.31) prints no Forward/Weight columns with --thresholds: read the thresholds apart.
    const thresholds = parseIpvsadmList(await ipvsadm(['-L', '-n', '--thresholds', '-t', vip])).find(
      (s) => s.address === vip,
    );
    for (const d of found.servers) {
      const t = thresholds?.servers.find((x) => x.host === d.host && x.port === d.port);
      if (t?.upperThreshold !== undefined) d.upperThreshold = t.upperThreshold;
      if (t?.lowerThreshold !== undefined) d.lowerThreshold = t.lowerThreshold;
    }
    return { service: found, raw };
  }

  function findDest(s: IpvsService, real: RealServerRef): IpvsDest | undefined {
    return s.servers.find((d) => d.host === real.host && d.port === real.port);
  }

  return {
    name,
    description: `${name === 'ipvsadm' ? 'ipvsadm' : `${name} (ipvsadm)`} via ${transport.description}`,

    async inspect(service) {
      const { service: s, raw } = await readService(service);
      const state: DirectorState = {
        scheduler: s.scheduler,
        servers: s.servers.map((d) => ({
          host: d.host,
          port: d.port,
          weight: d.weight,
          forwarding: d.forwarding,
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
      }
      return state;
    },

    async getWeight(service, real) {
      const { service: s } = await readService(service);
      const dest = findDest(s, real);
      lastSeen.set(formatHostPort(real), { service: s, dest });
      return dest?.weight;
    },

    async setWeight(service, real, weight) {
      const { service: s } = await readService(service);
      const dest = findDest(s, real);
      if (!dest) throw new DriverError(`real server ${formatHostPort(real)} is not in TCP ${s.address}`);
      lastSeen.set(formatHostPort(real), { service: s, dest });
      await ipvsadm(editWeightArgv(s.protocol, s.address, dest, real, weight));
    },

    manualCommand(service, real, weight) {
      const seen = lastSeen.get(formatHostPort(real));
      const argv = editWeightArgv(
        seen?.service.protocol ?? 'TCP',
        seen?.service.address ?? formatHostPort(service.vip),
        seen?.dest,
        real,
        weight,
      );
      return manual(argv);
    },
  };
}
