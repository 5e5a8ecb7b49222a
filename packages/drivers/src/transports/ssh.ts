import type { CommandResult, CommandTransport, RunOptions } from '@lvs-drain-kit/common';
import { shellJoin } from '@lvs-drain-kit/common';
import { DriverError } from '../errors.js';

export interface SshTarget {
  user?: string;
  host: string;
  port?: number;
}

/** Parses `ssh://[user@]host[:port]`. */
export function parseSshUrl(url: string): SshTarget {
  const m = /^ssh:\/\/(?:([^@/\s]+)@)?([^:/\s]+|\[[0-9a-fA-F:]+\])(?::(\d+))?\/?$/.exec(url);
  if (!m) throw new DriverError(`invalid director "${url}": expected ssh://user@host[:port]`);
  return { user: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined };
}

/** The system ssh's argv for running `argv` on the target (BatchMode: never prompt in a test run). */
export function sshArgv(target: SshTarget, argv: readonly string[]): string[] {
  const dest = target.user ? `${target.user}@${target.host}` : target.host;
  const args = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5'];
  if (target.port) args.push('-p', String(target.port));
  // The remote side hands ssh's words to a shell: quote each one so an argument stays one argument.
  args.push('--', dest, shellJoin(argv));
  return args;
}

/** Runs argv on a remote host through the system ssh, so the user's config, keys and agent apply. */
export function createSshTransport(url: string): CommandTransport {
  const target = parseSshUrl(url);
  const who = target.user ? `${target.user}@${target.host}` : target.host;
  return {
    // Also the prefix of the commands printed for people: `ssh -p 2222 root@lb1 '...'` runs as is.
    description: target.port ? `ssh -p ${target.port} ${who}` : `ssh ${who}`,
    async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
      const { execa } = await import('execa');
      const r = await execa('ssh', sshArgv(target, argv), {
        reject: false,
        timeout: options.timeoutMs ?? 20_000,
        input: options.input ?? '',
        stripFinalNewline: false,
      });
      if (r.failed && r.exitCode === undefined) {
        throw new DriverError(`cannot run ssh to ${who}: ${(r.cause as Error)?.message}`, String(r.stderr ?? ''));
      }
      // 255 is ssh's own failure (unreachable, auth), not the remote command's.
      if (r.exitCode === 255) throw new DriverError(`ssh to ${who} failed`, String(r.stderr).trim());
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1 };
    },
  };
}
