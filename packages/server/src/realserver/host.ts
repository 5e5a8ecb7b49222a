/** Reads the host's real-server settings and runs the steps (I/O for plan.ts): /proc/sys, `ip`, `sysctl`. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { RealServerSetupError } from '../errors.js';
import { commandOf, DR_SYSCTLS, type HostView, type Step, VIP_DEVICE } from './plan.js';

const run = promisify(execFile);

/** /proc/sys path of a dotted sysctl name (this network namespace's, for net.*). */
const procPath = (key: string) => `/proc/sys/${key.replaceAll('.', '/')}`;

export async function readHost(): Promise<HostView> {
  const sysctls: Record<string, string> = {};
  for (const key of Object.keys(DR_SYSCTLS)) {
    try {
      sysctls[key] = (await readFile(procPath(key), 'utf8')).trim();
    } catch (err) {
      throw new RealServerSetupError(`cannot read ${key}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
  let json: string;
  try {
    json = (await run('ip', ['-j', 'addr', 'show', 'dev', VIP_DEVICE])).stdout;
  } catch (err) {
    throw new RealServerSetupError(
      `cannot list the addresses of ${VIP_DEVICE}: ${describe(err)} (iproute2 installed?)`,
    );
  }
  const links = JSON.parse(json) as Array<{ addr_info?: Array<{ family: string; local: string; prefixlen: number }> }>;
  const loAddresses = links
    .flatMap((l) => l.addr_info ?? [])
    .filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`);
  return { sysctls, loAddresses };
}

/** Runs one step; a failure (not root, tool missing) is a RealServerSetupError naming the command. */
export async function runStep(step: Step): Promise<void> {
  const [file, ...args] = commandOf(step);
  try {
    await run(file!, args);
  } catch (err) {
    const hint = /permission denied|operation not permitted/i.test(describe(err)) ? ' (needs root)' : '';
    throw new RealServerSetupError(`${commandOf(step).join(' ')} failed: ${describe(err)}${hint}`);
  }
}

function describe(err: unknown): string {
  const e = err as { stderr?: string; code?: string | number; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).split('\n')[0]!;
}
