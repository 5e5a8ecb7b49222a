import type { CommandResult, CommandTransport, RunOptions } from '@lvs-drain-kit/common';

/** A transport that runs every command inside a network namespace on this host. */
export function netnsTransport(inner: CommandTransport, netns: string): CommandTransport {
  return {
    description: `${inner.description} netns ${netns}`,
    run: (argv: readonly string[], options?: RunOptions): Promise<CommandResult> =>
      inner.run(['ip', 'netns', 'exec', netns, ...argv], options),
  };
}
