/** Where labs keep their state and their downloads. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Downloads and built images, kept between runs (keyed by package versions inside). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'lvs-drain-kit');
}

/**
 * Where labs record what they made (PIDs, namespaces, LabInfo), one directory per lab:
 * `$LVS_DRAIN_KIT_LAB_STATE` for every engine; else /run/lvs-drain-kit for engines that need root,
 * and the user's state directory (`$XDG_STATE_HOME/lvs-drain-kit`, `~/.local/state/lvs-drain-kit`)
 * for the builtin lab, which any user may run.
 */
export function labStateBase(needsRoot: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (env.LVS_DRAIN_KIT_LAB_STATE) return env.LVS_DRAIN_KIT_LAB_STATE;
  if (needsRoot) return '/run/lvs-drain-kit';
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'lvs-drain-kit');
}
