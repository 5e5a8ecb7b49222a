import { Command } from 'commander';
import { register as registerDrain } from './commands/drain/index.js';
import { register as registerDrainTest } from './commands/drain-test/index.js';
import { register as registerLab } from './commands/lab/index.js';
import { register as registerMaintain } from './commands/maintain/index.js';
import { register as registerReport } from './commands/report/index.js';
import { register as registerUndo } from './commands/undo/index.js';
import { register as registerUndrain } from './commands/undrain/index.js';
import { VERSION } from './version.js';

/** lvs-verify and its commands; each command adds itself with its options, help and action. */
export function buildProgram(): Command {
  const program = new Command('lvs-verify')
    .description(
      'Prove a real server of an LVS (IPVS) cluster can be drained (weight 0) without dropping a connection.',
    )
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(see --help)');
  registerDrainTest(program);
  registerMaintain(program);
  registerDrain(program);
  registerUndrain(program);
  registerUndo(program);
  registerReport(program);
  registerLab(program);
  return program;
}
