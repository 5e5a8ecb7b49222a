/**
 * The builtin lab as an operator runs it: `lvs-verify lab up` (two rs-servers behind the userspace
 * director on loopback), its addresses read from what `lab up` prints, weights read and set with
 * `lvs-verify lab ipvsadm` — no internal state file is read.
 */
import { afterAll, beforeAll } from 'vitest';
import { type CliRun, runVerify } from './run-cli.js';
import { tempDir } from './temp-dir.js';

export interface CliLab {
  /** `HOST:PORT` of the VIP, each real server and the director's control port. */
  vip: string;
  reals: Array<{ name: string; address: string }>;
  control: string;
  /** `lvs-verify lab ipvsadm --control CONTROL -- ...args`. */
  ipvsadm(args: string[]): Promise<CliRun>;
  /** The weight the director has for `address` in the VIP's service (undefined: not in it). */
  weight(address: string): Promise<number | undefined>;
  setWeight(address: string, weight: number): Promise<void>;
  /** `lvs-verify lab down`. */
  down(): Promise<void>;
}

/** `lvs-verify lab up` with its state under `stateDir` (XDG_STATE_HOME). */
export async function labUp(stateDir: string): Promise<CliLab> {
  const up = await runVerify(['lab', 'up'], stateDir);
  const down = async () => {
    await runVerify(['lab', 'down'], stateDir);
  };
  // "builtin lab ID up: VIP 127.0.0.1:P, rs1 127.0.0.2:P, rs2 127.0.0.3:P" and "…; control 127.0.0.1:P, …".
  const addresses = /lab \w+ up: VIP (\S+), (.*)$/m.exec(up.stdout);
  const control = /control (\S+?:\d+)/.exec(up.stdout)?.[1];
  if (up.code !== 0 || !addresses || !control) {
    await down();
    throw new Error(`lvs-verify lab up failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
  }
  const reals = addresses[2]!.split(', ').map((part) => {
    const [name, address] = part.split(' ');
    return { name: name!, address: address! };
  });
  const vip = addresses[1]!;
  const ipvsadm = (args: string[]) => runVerify(['lab', 'ipvsadm', '--control', control, '--', ...args], stateDir);
  return {
    vip,
    reals,
    control,
    ipvsadm,
    async weight(address) {
      const r = await ipvsadm(['-L', '-n', '-t', vip]);
      if (r.code !== 0) throw new Error(`ipvsadm -L failed (exit ${r.code}): ${r.stderr}`);
      const row = r.stdout.split('\n').find((l) => l.trim().startsWith(`-> ${address} `));
      return row === undefined ? undefined : Number(row.trim().split(/\s+/)[3]);
    },
    async setWeight(address, weight) {
      const r = await ipvsadm(['-e', '-t', vip, '-r', address, '-w', String(weight)]);
      if (r.code !== 0) throw new Error(`ipvsadm -e failed (exit ${r.code}): ${r.stderr}`);
    },
    down,
  };
}

/**
 * One builtin lab for the tests of a file: up before the first (its state in a temp dir), down after
 * the last. The fields are set once `beforeAll` has run.
 */
export function useBuiltinLab(): { readonly lab: CliLab; readonly stateDir: string } {
  const env = {} as { lab: CliLab; stateDir: string };
  let remove: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const dir = await tempDir();
    remove = dir.remove;
    env.stateDir = dir.path;
    env.lab = await labUp(dir.path);
  });
  afterAll(async () => {
    await env.lab?.down();
    await remove?.();
  });
  return env;
}
