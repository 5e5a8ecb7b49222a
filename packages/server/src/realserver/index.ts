/**
 * `realserver up|down|status`: the library behind the command. `up` and `down` are idempotent: a second
 * run finds nothing to do. The record (a small JSON file) is what lets `down` put back the values that
 * were there before; /run is a good home for it, since a reboot resets the settings and the file alike.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RealServerSetupError } from '../errors.js';
import { readHost, runStep } from './host.js';
import {
  commandOf,
  type DownPlan,
  planDown,
  planUp,
  type RealServerRecord,
  realServerStatus,
  type StatusReport,
  type Step,
} from './plan.js';

export const DEFAULT_STATE_FILE = '/run/rs-server/realserver.json';

export interface RealServerOptions {
  vips: string[];
  stateFile: string;
  dryRun: boolean;
  /** Each command, as it is run (or, with dryRun, instead of running it). */
  onStep?: (command: string) => void;
}

export interface UpResult {
  steps: string[];
  record: RealServerRecord;
}

async function readRecord(file: string): Promise<RealServerRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RealServerSetupError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  const r = JSON.parse(text) as RealServerRecord;
  if (r.version !== 1 || !Array.isArray(r.vips)) throw new RealServerSetupError(`${file} is not a realserver record`);
  return r;
}

async function writeRecord(file: string, record: RealServerRecord): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, file);
}

async function apply(steps: Step[], o: RealServerOptions): Promise<string[]> {
  const printed = steps.map((s) => commandOf(s).join(' '));
  for (const [i, step] of steps.entries()) {
    o.onStep?.(printed[i]!);
    if (!o.dryRun) await runStep(step);
  }
  return printed;
}

export async function realServerUp(o: RealServerOptions): Promise<UpResult> {
  const recorded = await readRecord(o.stateFile);
  const { steps, record } = planUp(o.vips, await readHost(), recorded);
  // Recorded first: if a step fails half-way, `down` still knows what was there before.
  if (!o.dryRun) await writeRecord(o.stateFile, record);
  return { steps: await apply(steps, o), record };
}

export type DownResult = Omit<DownPlan, 'steps'> & { steps: string[]; recorded: boolean };

export async function realServerDown(o: RealServerOptions): Promise<DownResult> {
  const recorded = await readRecord(o.stateFile);
  if (!recorded)
    return {
      steps: [],
      notes: [`nothing recorded in ${o.stateFile}: nothing to undo`],
      record: undefined,
      recorded: false,
    };
  const plan = planDown(o.vips, await readHost(), recorded);
  const steps = await apply(plan.steps, o);
  if (!o.dryRun) {
    if (plan.record) await writeRecord(o.stateFile, plan.record);
    else await rm(o.stateFile, { force: true });
  }
  return { ...plan, steps, recorded: true };
}

export async function realServerStatusOf(
  o: Pick<RealServerOptions, 'vips' | 'stateFile'>,
): Promise<StatusReport & { record: RealServerRecord | undefined }> {
  const record = await readRecord(o.stateFile);
  const vips = o.vips.length > 0 ? o.vips : (record?.vips ?? []);
  return { ...realServerStatus(vips, await readHost()), record };
}
