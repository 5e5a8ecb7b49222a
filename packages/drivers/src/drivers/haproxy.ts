import { AddressResolver, formatHostPort, shellQuote } from '@lvs-drain-kit/common';
import { type DriverSpec, defineDriver } from '../definition.js';
import { DriverError, UnsupportedSetupError } from '../errors.js';
import { type DrainDriver, isListedAs, type RealServerRef } from '../types.js';
import {
  type HaproxyServerState,
  haproxyCommand,
  parseApiAddress,
  parseGetWeight,
  parseServersState,
} from './haproxy-api.js';
import { haproxyConnectionCounts } from './haproxy-counts.js';
import { haproxyConnections } from './haproxy-sessions.js';

export const haproxyDriver = defineDriver(
  'haproxy',
  (z) => ({
    socket: z.string().min(1),
    backend: z.string().min(1),
    server: z.string().min(1).optional(),
  }),
  {
    description: "HAProxy's runtime API: set weight BACKEND/SERVER 0, and back",
    flags: {
      socket: { flag: '--haproxy-socket <path|HOST:PORT>', help: 'the runtime API (a unix socket, or TCP)' },
      backend: { flag: '--haproxy-backend <name>', help: 'the backend' },
      server: {
        flag: '--haproxy-server <name>',
        help: 'the drained server (checked against --drain; default: the one server at that address)',
      },
    },
    examples: [{ kind: 'haproxy', socket: '/run/haproxy/admin.sock', backend: 'be', server: 'rs1' }],
    create: async (spec) => createHaproxyDriver(spec),
  },
);
export type HaproxySpec = DriverSpec<typeof haproxyDriver>;

export interface HaproxyDriverOptions {
  /** Runtime API: unix socket path or `HOST:PORT`. */
  socket: string;
  backend: string;
  /** The drained server's name in the backend; by default found by address in `show servers state`. */
  server?: string;
}

/**
 * Drains through HAProxy's runtime API: `set weight BACKEND/SERVER 0`, and back. The server is the one
 * named by --haproxy-server (which must be at the drained address), else the one server of the backend
 * at that address; several there and no name is refused, listing them.
 */
export function createHaproxyDriver(options: HaproxyDriverOptions): DrainDriver {
  const api = parseApiAddress(options.socket);
  const run = (command: string) => haproxyCommand(api, command);
  const names = new Map<string, string>();
  const resolver = new AddressResolver();
  const where = `HAProxy backend ${options.backend}`;

  async function states() {
    const text = await run(`show servers state ${options.backend}`);
    if (/Can't find backend|Unknown/.test(text)) throw new DriverError(`HAProxy: ${text.trim()}`, text);
    return parseServersState(text);
  }

  async function serverName(real: RealServerRef): Promise<string> {
    const key = formatHostPort(real);
    const known = names.get(key);
    if (known) return known;
    const servers = await states();
    const at = await resolver.resolve(real);
    // Port 0: a server declared without a port takes the connection's own port.
    const isAt = (s: HaproxyServerState) => isListedAs(s, at);
    const list = (ss: HaproxyServerState[]) => ss.map((s) => `${s.name} (${formatHostPort(s)})`).join(', ');
    let name: string;
    if (options.server !== undefined) {
      const named = servers.find((s) => s.name === options.server);
      if (!named) {
        throw new UnsupportedSetupError(
          `${where} has no server "${options.server}" (it has ${list(servers) || 'none'}): check --haproxy-server`,
        );
      }
      if (!isAt(named)) {
        throw new UnsupportedSetupError(
          `${where}: server ${options.server} is at ${formatHostPort(named)}, not ${key}: check --haproxy-server and --drain; nothing was changed`,
        );
      }
      name = named.name;
    } else {
      const found = servers.filter(isAt);
      if (found.length === 0)
        throw new DriverError(`${where} has no server at ${key} (it has ${list(servers) || 'none'})`);
      if (found.length > 1) {
        throw new UnsupportedSetupError(
          `${where} has ${found.length} servers at ${key}: ${found.map((s) => s.name).join(', ')}; name the one to drain with --haproxy-server (nothing was changed)`,
        );
      }
      name = found[0]!.name;
    }
    names.set(key, name);
    return name;
  }

  /** What a person runs to set a weight: it fails unless HAProxy then reports that weight. */
  function checkedCommand(name: string, weight: number): string {
    const commands = `set weight ${options.backend}/${name} ${weight}; get weight ${options.backend}/${name}`;
    const socat =
      'path' in api
        ? `socat stdio ${shellQuote(`unix-connect:${api.path}`)}`
        : `socat stdio tcp:${formatHostPort(api)}`;
    // HAProxy answers a refusal ("No such backend.") on stdout and socat still exits 0: check the answer.
    return `answer=$(echo ${shellQuote(commands)} | ${socat}); echo "$answer"; echo "$answer" | grep -Eqx ${shellQuote(`${weight} \\(initial [0-9]+\\)`)}`;
  }

  return {
    name: 'haproxy',
    description: `haproxy runtime API ${options.socket} backend ${options.backend}`,
    async inspect() {
      const servers = await states();
      return { servers: servers.map(({ host, port, weight }) => ({ host, port, weight })) };
    },
    async getWeight(_service, real) {
      return parseGetWeight(await run(`get weight ${options.backend}/${await serverName(real)}`));
    },
    async setWeight(_service, real, weight) {
      const answer = (await run(`set weight ${options.backend}/${await serverName(real)} ${weight}`)).trim();
      if (answer.length > 0) throw new DriverError(`HAProxy refused set weight: ${answer}`, answer);
    },
    describeChange(_service, real, weight) {
      return `set weight ${options.backend}/${names.get(formatHostPort(real)) ?? options.server ?? '?'} ${weight} (${options.socket})`;
    },
    manualCommand(_service, real, weight) {
      return checkedCommand(names.get(formatHostPort(real)) ?? options.server ?? 'SERVER', weight);
    },
    connectionTable: 'HAProxy show sess',
    async listConnections() {
      return haproxyConnections(run, options.backend, await states());
    },
    async connectionCounts() {
      return haproxyConnectionCounts(run, options.backend, await states());
    },
  };
}
