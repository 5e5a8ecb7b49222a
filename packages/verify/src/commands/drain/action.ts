import { createDriver } from '@lvs-drain-kit/drivers';
import { exitCodeForMaintain } from '../../errors.js';
import { drainServer, type ServerCommandOptions, undrainServer } from '../../maintain/drain-server.js';
import type { WaitSettings } from '../../maintain/options.js';
import { DRAIN_OPTIONS, UNDRAIN_OPTIONS } from '../../options/drain.js';
import { useColor } from '../../progress-printer.js';
import type { ServerCommandReport } from '../../report/maintain-types.js';
import { renderServerCommandHuman } from '../../report/server-command-human.js';
import { clusterFrom, serverFrom, settingsFrom } from '../cluster.js';
import type { CommandInput } from '../define.js';
import { createMaintainProgressPrinter } from '../maintain/progress.js';

const WAIT_KEYS = ['waitEmpty', 'drainTimeoutMs', 'onTimeout', 'minServing', 'pollMs', 'timeoutMs'] as const;
type ServerTable = typeof DRAIN_OPTIONS | typeof UNDRAIN_OPTIONS;

const UNDRAIN_KEYS = ['healthyTimeoutMs', 'restoreTimeoutMs', 'timeoutMs'] as const;

/** `lvs-verify drain SERVER [--wait]`: resolves with the exit code. */
export async function drainCommand(input: CommandInput<typeof DRAIN_OPTIONS>): Promise<number> {
  return serverCommand(input, DRAIN_OPTIONS, WAIT_KEYS, (target, settings) =>
    drainServer({ ...target, wait: input.flags.wait ?? false, ...(settings as Partial<WaitSettings>) }),
  );
}

/** `lvs-verify undrain SERVER`: resolves with the exit code. */
export async function undrainCommand(input: CommandInput<typeof UNDRAIN_OPTIONS>): Promise<number> {
  const { weight } = input.flags;
  return serverCommand(input, UNDRAIN_OPTIONS, UNDRAIN_KEYS, (target, settings) =>
    undrainServer({
      ...target,
      ...(weight !== undefined ? { weight } : {}),
      ...(settings as { healthyTimeoutMs?: number }),
    }),
  );
}

/**
 * What drain and undrain share: the cluster from flags and cluster file, the server named by the argument
 * in it, its driver, progress on stderr; the settings of `keys` (a flag wins over the file); the report
 * printed and its exit code.
 */
async function serverCommand(
  input: CommandInput<ServerTable>,
  table: ServerTable,
  keys: readonly string[],
  run: (target: ServerCommandOptions, settings: Partial<Record<string, unknown>>) => Promise<ServerCommandReport>,
): Promise<number> {
  const { flags: f, io } = input;
  const config = f.config ? await (await import('../../config.js')).loadConfig(f.config, table) : undefined;
  const cluster = await clusterFrom(f, input.driverFlags, config, 0);
  const real = await serverFrom(input.argument, cluster.reals);
  const report = await run(
    {
      vip: cluster.vip,
      real: { host: real.host, port: real.port },
      ...(real.name ? { name: real.name } : {}),
      driver: await createDriver(cluster.driverSpec),
      driverSpec: cluster.driverSpec,
      ...(f.journalPath ? { journalPath: f.journalPath } : {}),
      onProgress: createMaintainProgressPrinter(io.stderr),
      signal: io.signal,
    },
    settingsFrom(keys, f as Record<string, unknown>, input.given, config as Record<string, unknown> | undefined),
  );
  if (f.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(renderServerCommandHuman(report, { color: useColor(io.stdout) }));
  return exitCodeForMaintain({ ...report, servers: [report.server] });
}
