import { homedir } from 'node:os';
import { join } from 'node:path';

/** Downloads and built images, kept between runs (keyed by package versions inside). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'lvs-drain-kit');
}

/**
 * Where a running lab records what it made (PIDs, namespaces, LabInfo). Root only, so /run.
 * One per engine: each lab has its own namespaces and bridge, so an ipvs and an nft lab can run side by side.
 */
export function defaultStateDir(engine: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.LVS_DRAIN_KIT_LAB_STATE || '/run/lvs-drain-kit', `lab-${engine}`);
}
