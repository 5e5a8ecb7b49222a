import { writeFile } from 'node:fs/promises';
import { parseHostPort } from '@lvs-drain-kit/common';
import { createDriver, placeholdersOutside, type RealServerRef } from '@lvs-drain-kit/drivers';
import { exitCodeForMaintain, UsageError } from '../../errors.js';
import { runMaintain } from '../../maintain/maintain.js';
import type { MaintainOptions } from '../../maintain/options.js';
import { EXEC_PLACEHOLDERS } from '../../maintain/server.js';
import { MAINTAIN_OPTIONS, MAINTAIN_SETTINGS } from '../../options/maintain.js';
import { useColor } from '../../progress-printer.js';
import { renderMaintainHuman } from '../../report/maintain-human.js';
import { clusterFrom, resolved, settingsFrom } from '../cluster.js';
import type { CommandInput } from '../define.js';
import { createMaintainProgressPrinter } from './progress.js';

/** `--only rs1` or `--only 10.0.0.2:80`: a name is matched once the servers have told theirs. */
async function onlyFrom(text: string): Promise<RealServerRef | string> {
  let hp: RealServerRef;
  try {
    hp = parseHostPort(text);
  } catch {
    return text;
  }
  return resolved({ host: hp.host, port: hp.port });
}

/** `lvs-verify maintain`: resolves with the exit code. */
export async function maintainCommand(input: CommandInput<typeof MAINTAIN_OPTIONS>): Promise<number> {
  const { flags: f, io } = input;
  // zod and yaml load only when a file is given: they are most of the start-up time.
  const config = f.config ? await (await import('../../config.js')).loadConfig(f.config, MAINTAIN_OPTIONS) : undefined;
  const cluster = await clusterFrom(f, input.driverFlags, config, 2);
  const settings = settingsFrom(MAINTAIN_SETTINGS, f, input.given, config) as Partial<MaintainOptions>;
  if (settings.exec !== undefined) {
    const bad = placeholdersOutside(settings.exec, EXEC_PLACEHOLDERS);
    if (bad.length > 0)
      throw new UsageError(
        `--exec: unknown placeholder {${bad[0]}}: use ${EXEC_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
      );
  }
  io.signal.throwIfAborted();
  const driver = await createDriver(cluster.driverSpec);
  const report = await runMaintain({
    ...cluster,
    driver,
    ...settings,
    ...(f.only?.length ? { only: await Promise.all(f.only.map(onlyFrom)) } : {}),
    ...(f.journalPath ? { journalPath: f.journalPath } : {}),
    onProgress: createMaintainProgressPrinter(io.stderr),
    signal: io.signal,
  });
  if (f.junit) await writeFile(f.junit, (await import('../../report/maintain-junit.js')).buildMaintainJunit(report));
  if (f.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(renderMaintainHuman(report, { color: useColor(io.stdout) }));
  return exitCodeForMaintain(report);
}
