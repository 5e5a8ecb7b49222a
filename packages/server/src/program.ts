/** The rs-server command line: every command registers itself, with its action. */
import { DURATION_HELP } from '@lvs-drain-kit/common';
import { Command } from 'commander';
import { register as registerCheck } from './commands/check/index.js';
import { register as registerCtl } from './commands/ctl/index.js';
import { register as registerRealserver } from './commands/realserver/index.js';
import { register as registerServe } from './commands/serve/index.js';
import { EXIT_HELP } from './errors.js';
import { VERSION } from './version.js';

const HELP = `
Examples:
  rs-server 2100 --name rs1                   serve (see \`rs-server serve --help\` for every flag)
  rs-server ctl drain --ctl /run/rs-server/ctl.sock
  rs-server check --ctl /run/rs-server/ctl.sock --weight 1    keepalived MISC_CHECK (misc_dynamic)
  rs-server realserver up --vip 172.16.0.113  an LVS-DR real server: VIP on lo, no ARP for it

Exit codes:
${EXIT_HELP.map(([code, what]) => `  ${String(code).padEnd(3)} ${what}`).join('\n')}
  (\`rs-server check\` exits as keepalived expects: 0 ready, 2 draining, 1 down — see its --help)

${DURATION_HELP}`;

export interface ProgramIo {
  out(text: string): void;
  err(text: string): void;
}

const stdio: ProgramIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export function buildProgram(io: ProgramIo = stdio): Command {
  const program = new Command('rs-server')
    .description(
      'The real-server line service of an LVS cluster, and the tools to run it in one: drain state for ' +
        'health checkers (HAProxy agent-check, keepalived MISC_CHECK, /healthz), metrics, LVS-DR set-up.',
    )
    .version(VERSION)
    // Options of the root stay before a subcommand, so `ctl --ctl …` reaches ctl's own flag.
    .enablePositionalOptions()
    .addHelpText('after', HELP)
    // Inherited by every command added below: errors as "rs-server: …", exit codes mapped in cli.ts.
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (str, write) => write(str.replace(/^error: /, 'rs-server: ')),
    });
  registerServe(program);
  registerCtl(program);
  registerCheck(program);
  registerRealserver(program);
  return program;
}
