/** The lvs-client command line: the program, and the commands that register themselves on it. */
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { type CliIO, type CommandContext, DURATION_HELP } from './commands/command.js';
import { type ConnectInvocation, register as registerConnect } from './commands/connect/index.js';
import { type ListenInvocation, register as registerListen } from './commands/listen/index.js';
import { type ProbeInvocation, register as registerProbe } from './commands/probe/index.js';
import { exitHelpLines, UsageError } from './errors.js';
import { VERSION } from './version.js';

export type Invocation = ConnectInvocation | ProbeInvocation | ListenInvocation;

/** Every command, in the order `--help` lists them. */
const COMMANDS = [registerConnect, registerProbe, registerListen];

/**
 * The program with every command registered. Commander's errors (bad flags, --help, --version) are
 * thrown as `CommanderError` after the message is written; a command's action runs through `ctx.perform`.
 */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command()
    .name('lvs-client')
    .description(
      'A SocketTest-style TCP/UDP client for the terminal: hold a connection to an LVS virtual service, ' +
        'send lines, see which real server answers.',
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      outputError: (str, write) => write(str.replace(/^error: /, 'lvs-client: ')),
    })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  # type lines through the VIP, see which real server answers each',
        '  lvs-client connect 172.16.0.100:2100',
        '  # which real server each of 20 new connections reaches',
        '  lvs-client probe 172.16.0.100:2100 --count 20',
        '  # one command in full, with its examples',
        '  lvs-client help probe',
        '',
        DURATION_HELP,
        '',
        'Exit codes:',
        ...exitHelpLines(),
      ].join('\n'),
    );
  // Each command is created by `program.command()`, so it inherits the output and error handling above.
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/**
 * Parses argv into the `Invocation` a command would run, without running it. Throws commander's
 * `CommanderError` for --help, --version and bad flags (it has written the message already), or `UsageError`.
 */
export function parseArgs(argv: string[], write?: { out(s: string): void; err(s: string): void }): Invocation {
  let invocation: Invocation | undefined;
  const sink = (to: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        to(String(chunk));
        done();
      },
    });
  const io: CliIO = {
    stdin: process.stdin,
    stdout: write ? sink(write.out) : process.stdout,
    stderr: write ? sink(write.err) : process.stderr,
    stopped: () => new Promise(() => undefined),
  };
  const program = buildProgram({
    io,
    perform: (_action, options) => {
      invocation = options as Invocation;
    },
  });
  program.parse(argv, { from: 'user' });
  if (!invocation) throw new UsageError('missing command: connect, probe or listen (see --help)');
  return invocation;
}
