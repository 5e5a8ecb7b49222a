import { createDriver } from '@lvs-drain-kit/drivers';
import { exitCodeForMaintain } from '../../errors.js';
import { drainServer, undrainServer } from '../../maintain/drain-server.js';
import type { WaitSettings } from '../../maintain/options.js';
import { DRAIN_OPTIONS, type DrainFlags, UNDRAIN_OPTIONS, type UndrainFlags } from '../../options/drain.js';
import { useColor } from '../../progress-printer.js';
import type { ServerCommandReport } from '../../report/maintain-types.js';
import { renderServerCommandHuman } from '../../report/server-command-human.js';
import { clusterFrom, serverFrom, settingsFrom } from '../cluster.js';
import { createMaintainProgressPrinter } from '../maintain/progress.js';

export interface ServerCommandInput<F> {
  server: string;
  flags: F;
  given: ReadonlySet<string>;
  driverFlags: Readonly<Record<string, unknown>>;
}

export interface ServerCommandIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  signal: AbortSignal;
}

const WAIT_KEYS = ['waitEmpty', 'drainTimeoutMs', 'onTimeout', 'minServing', 'pollMs', 'timeoutMs'] as const;
const UNDRAIN_KEYS = ['healthyTimeoutMs', 'restoreTimeoutMs', 'timeoutMs'] as const;

/** `lvs-verify drain SERVER [--wait]`: resolves with the exit code. */
export async function drainCommand(input: ServerCommandInput<DrainFlags>, io: ServerCommandIo): Promise<number> {
  const f = input.flags;
  const config = f.config ? await (await import('../../config.js')).loadConfig(f.config, DRAIN_OPTIONS) : undefined;
  const cluster = await clusterFrom(f, input.driverFlags, config, 0);
  const real = await serverFrom(input.server, cluster.reals);
  const report = await drainServer({
    vip: cluster.vip,
    real: { host: real.host, port: real.port },
    ...(real.name ? { name: real.name } : {}),
    driver: await createDriver(cluster.driverSpec),
    driverSpec: cluster.driverSpec,
    wait: f.wait ?? false,
    ...(settingsFrom(WAIT_KEYS, f, input.given, config) as Partial<WaitSettings>),
    ...(f.journalPath ? { journalPath: f.journalPath } : {}),
    onProgress: createMaintainProgressPrinter(io.stderr),
    signal: io.signal,
  });
  return finish(report, f.json, io);
}

/** `lvs-verify undrain SERVER`: resolves with the exit code. */
export async function undrainCommand(input: ServerCommandInput<UndrainFlags>, io: ServerCommandIo): Promise<number> {
  const f = input.flags;
  const config = f.config ? await (await import('../../config.js')).loadConfig(f.config, UNDRAIN_OPTIONS) : undefined;
  const cluster = await clusterFrom(f, input.driverFlags, config, 0);
  const real = await serverFrom(input.server, cluster.reals);
  const report = await undrainServer({
    vip: cluster.vip,
    real: { host: real.host, port: real.port },
    ...(real.name ? { name: real.name } : {}),
    driver: await createDriver(cluster.driverSpec),
    driverSpec: cluster.driverSpec,
    ...(f.weight !== undefined ? { weight: f.weight } : {}),
    ...(settingsFrom(UNDRAIN_KEYS, f, input.given, config) as { healthyTimeoutMs?: number }),
    ...(f.journalPath ? { journalPath: f.journalPath } : {}),
    onProgress: createMaintainProgressPrinter(io.stderr),
    signal: io.signal,
  });
  return finish(report, f.json, io);
}

function finish(report: ServerCommandReport, json: boolean | undefined, io: ServerCommandIo): number {
  if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(renderServerCommandHuman(report, { color: useColor(io.stdout) }));
  return exitCodeForMaintain({ ...report, servers: [report.server] });
}
