import type { CommandResult, CommandTransport, RunOptions } from '@lvs-drain-kit/common';
import { DriverError } from '../errors.js';

/** Runs argv on this host, without a shell. */
export function createLocalTransport(): CommandTransport {
  return {
    description: 'local',
    async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
      const [file, ...args] = argv;
      if (file === undefined) throw new DriverError('empty command');
      // execa loads on first use: a CLI that never runs a program does not pay for it at start-up.
      const { execa } = await import('execa');
      const r = await execa(file, args, {
        reject: false,
        timeout: options.timeoutMs ?? 15_000,
        input: options.input ?? '',
        stripFinalNewline: false,
      });
      if (r.failed && r.exitCode === undefined) {
        // Not started or killed: missing binary, permission, timeout.
        const why = r.timedOut ? `timed out after ${options.timeoutMs ?? 15_000} ms` : (r.cause as Error)?.message;
        throw new DriverError(`cannot run ${file}: ${why}`, String(r.stderr ?? ''));
      }
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1 };
    },
  };
}
