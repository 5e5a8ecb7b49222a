/**
 * The `agent` driver: the drained real server asks for weight 0 itself. It changes the drain state of the
 * server's own rs-server (`rs-server ctl drain|ready` on its control socket), and the director follows
 * because it reads that state: HAProxy's agent-check (`rs-server --agent-port`), keepalived's MISC_CHECK
 * (`rs-server check`). So drain-test proves a server-initiated drain end to end, director included.
 * The "weight" this driver reads and sets is the percentage of its configured weight the server asks
 * for: 0 while draining (or in maintenance, or stopping), else the agent's advertised percentage (100
 * when it advertises none). A change counts as applied once a health check has seen it (the server
 * counts them): the drain's clock starts when the director knows, as with any other driver.
 */
import { type CommandTransport, durationArgument, RS_SERVER_BIN, shellJoin, shellQuote } from '@lvs-drain-kit/common';
import { type DriverSpec, defineDriver } from '../definition.js';
import { DriverError } from '../errors.js';
import type { DrainDriver } from '../types.js';

/** HAProxy's limit for an agent's weight percentage. */
const MAX_PERCENT = 256;

export const agentDriver = defineDriver(
  'agent',
  (z) => ({
    ctl: z.string().min(1),
    via: z.string().min(1).optional(),
    waitMs: z.number().int().positive().optional(),
  }),
  {
    description: "the drained server's own drain state (rs-server ctl), which the director's health checks follow",
    flags: {
      ctl: { flag: '--agent-ctl <path>', help: "the drained server's control socket (rs-server --ctl)" },
      via: {
        flag: '--agent-via <where>',
        help: 'where that rs-server runs: local (default: this repository’s rs-server) or ssh://user@host',
      },
      waitMs: {
        flag: '--agent-wait <duration>',
        help: 'how long the director’s health checks may take to see a change (default 30s)',
        parse: durationArgument,
        format: (ms) => `${ms}ms`,
        configKey: 'wait',
      },
    },
    examples: [{ kind: 'agent', ctl: '/run/rs-server/ctl.sock', via: 'ssh://root@172.16.0.111', waitMs: 10_000 }],
    create: async (spec) => {
      const local = spec.via === undefined || spec.via === 'local';
      const { createDirectorTransport } = await import('../transports/factory.js');
      return createAgentDriver({
        ctl: spec.ctl,
        transport: await createDirectorTransport(spec.via),
        rsServer: local ? [process.execPath, RS_SERVER_BIN] : ['rs-server'],
        ...(spec.waitMs !== undefined && { waitMs: spec.waitMs }),
      });
    },
  },
);
export type AgentSpec = DriverSpec<typeof agentDriver>;

export interface AgentDriverOptions {
  /** The control socket, on the host where `transport` runs commands. */
  ctl: string;
  transport: CommandTransport;
  /** How rs-server is run there: `[node, bin]` here, `['rs-server']` over ssh. */
  rsServer: readonly string[];
  /** How long a health check may take to see a change. Default 30 s. */
  waitMs?: number;
  timeoutMs?: number;
}

/** `rs-server ctl … --json`'s answer (packages/server, control/protocol.ts). */
interface CtlAnswer {
  ok: boolean;
  state?: string;
  weightPercent?: number | null;
  /** Health checks answered since the last change. */
  observed?: number;
  error?: string;
}

export function createAgentDriver(o: AgentDriverOptions): DrainDriver {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const ctlArgv = (request: string[]) => ['ctl', ...request, '--ctl', o.ctl];
  const where = `${o.ctl}${o.transport.description === 'local' ? '' : ` (${o.transport.description})`}`;

  async function ctl(request: string[]): Promise<CtlAnswer> {
    const r = await o.transport.run([...o.rsServer, ...ctlArgv(request), '--json'], { timeoutMs });
    if (r.exitCode !== 0) {
      const why = r.stderr.trim().replace(/^rs-server: /, '') || `exit code ${r.exitCode}`;
      throw new DriverError(`rs-server ctl ${request.join(' ')} on ${where}: ${why}`, r.stderr);
    }
    try {
      return JSON.parse(r.stdout) as CtlAnswer;
    } catch {
      throw new DriverError(`rs-server ctl on ${where} answered something else: ${r.stdout.slice(0, 80)}`, r.stderr);
    }
  }

  const percentOf = (a: CtlAnswer) => (a.state === 'ready' ? (a.weightPercent ?? 100) : 0);
  const waitMs = o.waitMs ?? 30_000;

  /** Until a health check has seen the change (true), or `waitMs` passes (false). */
  async function seen(): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    while ((await ctl(['status'])).observed === 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  }

  return {
    name: 'agent',
    description: `agent (rs-server's drain state through ${where})`,
    async inspect() {
      const status = await ctl(['status']);
      return { servers: [], raw: JSON.stringify(status) };
    },
    async getWeight() {
      return percentOf(await ctl(['status']));
    },
    async setWeight(_service, _real, weight) {
      if (weight === 0) {
        await ctl(['drain']);
        if (!(await seen())) {
          throw new DriverError(
            `no health check asked ${where} for its state within ${waitMs} ms of the drain: the director does not follow this server's agent (HAProxy agent-check, keepalived MISC_CHECK with rs-server check?)`,
          );
        }
        return;
      }
      if (weight > MAX_PERCENT) {
        throw new DriverError(
          `the agent driver sets a percentage of the configured weight (1-${MAX_PERCENT}), not ${weight}`,
        );
      }
      const after = await ctl(['ready']);
      // Only a weight the server did not already ask for is advertised: "100" and "none" differ for HAProxy.
      if (percentOf(after) !== weight) await ctl(['weight', String(weight)]);
      // Not seen in time: the run's own check (new connections come back) says so, with what it saw.
      await seen();
    },
    manualCommand(_service, _real, weight) {
      const argv = ['rs-server', ...ctlArgv(weight === 0 ? ['drain'] : ['ready'])];
      const cmd = shellJoin(argv);
      return o.transport.description === 'local' ? cmd : `${o.transport.description} ${shellQuote(cmd)}`;
    },
  };
}
