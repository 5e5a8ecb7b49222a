import { formatHostPort, shellQuote } from '@lvs-drain-kit/common';
import type { z } from 'zod';
import { type DriverDefinition, specSchema } from '../definition.js';
import { DriverError } from '../errors.js';
import type { DrainDriver, RealServerRef } from '../types.js';
import { haproxyCommand, parseApiAddress, parseGetWeight, parseServersState } from './haproxy-api.js';

const schema = specSchema('haproxy', (z) => ({
  socket: z.string().min(1),
  backend: z.string().min(1),
  server: z.string().min(1).optional(),
}));
export type HaproxySpec = z.output<ReturnType<typeof schema>>;

export const haproxyDriver: DriverDefinition<HaproxySpec> = {
  kind: 'haproxy',
  description: "HAProxy's runtime API: set weight BACKEND/SERVER 0, and back",
  schema,
  flags: {
    socket: { flag: '--haproxy-socket <path|HOST:PORT>', help: 'the runtime API (a unix socket, or TCP)' },
    backend: { flag: '--haproxy-backend <name>', help: 'the backend' },
    server: { flag: '--haproxy-server <name>', help: 'the drained server name (default: found by address)' },
  },
  examples: [{ kind: 'haproxy', socket: '/run/haproxy/admin.sock', backend: 'be', server: 'rs1' }],
  create: async (spec) => createHaproxyDriver(spec),
};

export interface HaproxyDriverOptions {
  /** Runtime API: unix socket path or `HOST:PORT`. */
  socket: string;
  backend: string;
  /** The drained server's name in the backend; by default found by address in `show servers state`. */
  server?: string;
}

/** Drains through HAProxy's runtime API: `set weight BACKEND/SERVER 0`, and back. */
export function createHaproxyDriver(options: HaproxyDriverOptions): DrainDriver {
  const api = parseApiAddress(options.socket);
  const run = (command: string) => haproxyCommand(api, command);
  const names = new Map<string, string>();

  async function states() {
    const text = await run(`show servers state ${options.backend}`);
    if (/Can't find backend|Unknown/.test(text)) throw new DriverError(`HAProxy: ${text.trim()}`, text);
    return parseServersState(text);
  }

  async function serverName(real: RealServerRef): Promise<string> {
    const key = formatHostPort(real);
    const known = names.get(key);
    if (known) return known;
    const found = (await states()).find((s) => s.host === real.host && s.port === real.port);
    const name = found?.name ?? options.server;
    if (!name) throw new DriverError(`HAProxy backend ${options.backend} has no server at ${key}`);
    names.set(key, name);
    return name;
  }

  return {
    name: 'haproxy',
    description: `haproxy runtime API ${options.socket} backend ${options.backend}`,
    async inspect() {
      const servers = await states();
      for (const s of servers) names.set(formatHostPort(s), s.name);
      return { servers: servers.map(({ host, port, weight }) => ({ host, port, weight })) };
    },
    async getWeight(_service, real) {
      return parseGetWeight(await run(`get weight ${options.backend}/${await serverName(real)}`));
    },
    async setWeight(_service, real, weight) {
      const answer = (await run(`set weight ${options.backend}/${await serverName(real)} ${weight}`)).trim();
      if (answer.length > 0) throw new DriverError(`HAProxy refused set weight: ${answer}`, answer);
    },
    manualCommand(_service, real, weight) {
      const name = names.get(formatHostPort(real)) ?? options.server ?? 'SERVER';
      const cmd = `set weight ${options.backend}/${name} ${weight}`;
      return 'path' in api
        ? `echo ${shellQuote(cmd)} | socat stdio ${shellQuote(`unix-connect:${api.path}`)}`
        : `echo ${shellQuote(cmd)} | socat stdio tcp:${api.host}:${api.port}`;
    },
  };
}
