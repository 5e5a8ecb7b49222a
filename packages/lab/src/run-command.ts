/** The lab's one way to run a command (ip, nft, haproxy, qemu, apt-get …) and get its output. */
import { LabCommandError } from './errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs argv (no shell); throws LabCommandError on a non-zero exit unless `allowFail`. */
export async function run(
  argv: readonly string[],
  options: { input?: string; allowFail?: boolean; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty argv');
  // Loaded on first use: most of a CLI's start-up time otherwise, for commands that never run one.
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    reject: false,
    stripFinalNewline: false,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' }),
  });
  const out = {
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    exitCode: result.exitCode ?? -1,
  };
  if (out.exitCode !== 0 && !options.allowFail) {
    throw new LabCommandError(argv, result.exitCode, out.stderr || (result.message ?? ''));
  }
  return out;
}

/** argv run inside a network namespace. */
export function inNetns(netns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', netns, ...argv];
}
