/**
 * What a lab made, written before each thing is made: `lab down` after a crash finds every namespace
 * and process from this file, never by guessing from names. One file (state.json) for every engine.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordedProcess } from '@lvs-drain-kit/common';
import type { LabInfo } from './lab-info.js';
import type { LabEngine } from './plan.js';

export interface LabProcess extends RecordedProcess {
  /** rs1, rs2, director, director-vm, haproxy … */
  role: string;
}

export interface LabState {
  version: 1;
  id: string;
  engine: LabEngine;
  createdAt: string;
  namespaces: string[];
  processes: LabProcess[];
  /** Files in the state dir that belong to the lab (removed by `lab down`). */
  files: string[];
  /** Set once the lab is ready. */
  info?: LabInfo;
}

export const STATE_FILE = 'state.json';

export async function readState(stateDir: string): Promise<LabState | undefined> {
  const path = join(stateDir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  return JSON.parse(await readFile(path, 'utf8')) as LabState;
}

export async function writeState(stateDir: string, state: LabState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const tmp = join(stateDir, `${STATE_FILE}.tmp`);
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, join(stateDir, STATE_FILE));
}
