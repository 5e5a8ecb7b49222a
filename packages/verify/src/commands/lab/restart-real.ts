import { durationArgument } from '@lvs-drain-kit/common';
import { LAB_ENGINES, type LabEngine } from '@lvs-drain-kit/lab';
import { type Command, Option } from 'commander';

/**
 * `lab restart-real NAME`: stops a lab's real server and starts it again on the same address — the
 * work a maintenance does, for `lvs-verify maintain --exec` against a lab.
 */
export function registerRestartReal(lab: Command): void {
  lab
    .command('restart-real')
    .description('restart a real server of a running lab (SIGTERM: it finishes its connections; --kill: a crash)')
    .argument('<name>', 'the real server, e.g. rs1')
    .addOption(
      new Option('--engine <engine>', 'the lab engine (see `lvs-verify lab --help`)')
        .choices(LAB_ENGINES)
        .default('builtin'),
    )
    .option('--kill', 'SIGKILL at once: its connections are cut')
    .option(
      '--grace <duration>',
      'how long it may take to finish its connections after SIGTERM (default 30s)',
      durationArgument,
    )
    .addOption(new Option('--state-dir <dir>', "the lab's state directory (default: the engine's)").hideHelp())
    .addHelpText(
      'after',
      '\nExample:\n  lvs-verify maintain ... --exec "lvs-verify lab restart-real --engine nft {name}"',
    )
    .action(async (name: string, f: { engine: LabEngine; kill?: boolean; grace?: number; stateDir?: string }) => {
      const { LabError, restartRealServer } = await import('@lvs-drain-kit/lab');
      const { EnvironmentError } = await import('../../errors.js');
      try {
        const r = await restartRealServer({ engine: f.engine, ...(f.stateDir ? { stateDir: f.stateDir } : {}) }, name, {
          ...(f.kill ? { kill: true } : {}),
          ...(f.grace !== undefined ? { graceMs: f.grace } : {}),
        });
        process.stdout.write(`${name} restarted: pid ${r.oldPid} → ${r.newPid}, ready after ${r.downMs} ms\n`);
      } catch (err) {
        throw err instanceof LabError ? new EnvironmentError(err.message) : err;
      }
    });
}
