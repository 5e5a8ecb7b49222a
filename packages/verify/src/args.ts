import { durationArgument, wholeNumber } from '@lvs-drain-kit/common';
import { Command, Option } from 'commander';
import { MISBEHAVIOURS } from './lab/misbehaviour.js';
import { DEFAULTS } from './options.js';
import { VERSION } from './version.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Flags of `drain-test`, as commander hands them over. */
export interface DrainTestFlags {
  vip?: string;
  real: string[];
  drain?: string;
  driver?: string;
  director?: string;
  control?: string;
  haproxySocket?: string;
  haproxyBackend?: string;
  haproxyServer?: string;
  nftNetns?: string;
  nftTable?: string;
  nftChain?: string;
  nftMap?: string;
  drainCmd?: string;
  restoreCmd?: string;
  getCmd?: string;
  config?: string;
  lab?: string | boolean;
  labMisbehave?: string;
  connections?: number;
  newConnections?: number;
  hold?: number;
  interval?: number;
  timeout?: number;
  restoreTimeout?: number;
  restoreWeight?: number;
  restore: boolean;
  strict?: boolean;
  json?: boolean;
  junit?: string;
  journal?: string;
}

export function buildProgram(): Command {
  const program = new Command('lvs-verify')
    .description(
      'Prove a real server of an LVS (IPVS) cluster can be drained (weight 0) without dropping a connection.',
    )
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(see --help)');
  program
    .command('drain-test')
    .description(
      'drain one real server through its director and check old connections survive and new ones go elsewhere',
    )
    .option('--vip <HOST:PORT>', 'the virtual service, e.g. 172.16.0.113:2100')
    .option(
      '--real <HOST:PORT[=NAME]>',
      'a real server (repeat); its name is learned by asking it unless given',
      collect,
      [],
    )
    .option('--drain <HOST:PORT|NAME>', 'the real server to drain')
    .addOption(
      new Option('--driver <kind>', 'how to change the weight').choices([
        'ipvsadm',
        'haproxy',
        'command',
        'manual',
        'builtin',
        'nft',
      ]),
    )
    .option('--director <where>', 'ipvsadm: where it runs: local (default) or ssh://user@host')
    .option('--control <HOST:PORT>', 'builtin: the lab director control port')
    .option('--haproxy-socket <path|HOST:PORT>', 'haproxy: the runtime API')
    .option('--haproxy-backend <name>', 'haproxy: the backend')
    .option('--haproxy-server <name>', 'haproxy: the drained server name (default: found by address)')
    .option('--nft-table <name>', 'nft: the table of the balancer (ip family)')
    .option('--nft-chain <name>', 'nft: the chain holding only `dnat to numgen inc mod N map @MAP`')
    .option('--nft-map <name>', 'nft: the slot → address map (a server weighs as many slots as it holds)')
    .option('--nft-netns <name>', 'nft: run nft in this network namespace (default: --director)')
    .option(
      '--drain-cmd <template>',
      'command: sets the weight to 0; placeholders {vip} {vport} {rip} {rport} {weight}',
    )
    .option('--restore-cmd <template>', 'command: puts the weight back')
    .option('--get-cmd <template>', 'command: prints the current weight (optional)')
    .option('--config <file>', 'a cluster file (YAML) with the same settings; flags win')
    .option(
      '--lab [engine]',
      'zero setup: start a lab (builtin by default; ipvs, nft, haproxy need root), test, stop it',
    )
    .addOption(
      new Option('--lab-misbehave <list>', `builtin lab negative controls: ${MISBEHAVIOURS.join(', ')}`).hideHelp(),
    )
    .option(
      '--connections <n>',
      `old connections held through the drain (default ${DEFAULTS.connections})`,
      wholeNumber(2, 10_000),
    )
    .option(
      '--new-connections <n>',
      `fresh connections after the drain (default ${DEFAULTS.newConnections})`,
      wholeNumber(1, 100_000),
    )
    .option('--hold <duration>', 'how long old connections keep talking after the drain (default 5s)', durationArgument)
    .option('--interval <duration>', 'pause between lines on each old connection (default 200ms)', durationArgument)
    .option('--timeout <duration>', 'per reply and per connect (default 2s)', durationArgument)
    .option(
      '--restore-timeout <duration>',
      'how long new connections may take to come back after the restore (default 10s)',
      durationArgument,
    )
    .option('--restore-weight <n>', 'weight to put back when the driver cannot read it', wholeNumber(1, 65535))
    .option('--no-restore', 'leave the server drained (undo later with `lvs-verify undo`)')
    .option('--strict', 'the reused-source-port probe fails instead of warning')
    .option('--json', 'print one JSON object (see README) instead of the human report')
    .option('--junit <file>', 'also write a JUnit XML file, one testcase per check')
    .addOption(new Option('--journal <file>', 'journal file (default: under the state directory)').hideHelp());
  program
    .command('undo')
    .description('put back every drain the journal says is still applied (after a crash or --no-restore)')
    .addOption(new Option('--journal <file>', 'journal file').hideHelp());
  const lab = program.command('lab').description('start, inspect and stop labs (builtin needs no root)');
  const engine = () =>
    new Option('--engine <engine>', 'builtin (userspace, no root), ipvs (qemu VM), nft, haproxy')
      .choices(['builtin', 'ipvs', 'nft', 'haproxy'])
      .default('builtin');
  lab.command('up').description('start a lab and leave it running').addOption(engine());
  lab.command('down').description('stop the lab and remove everything it made').addOption(engine());
  lab.command('status').description('show what is up').addOption(engine());
  lab
    .command('exec')
    .description('run a command in the lab client namespace')
    .addOption(engine())
    .argument('<command...>', 'the command (after --)');
  lab
    .command('ipvsadm')
    .description('run ipvsadm arguments against the builtin lab director')
    .option('--control <HOST:PORT>', 'control port (default: the lab started by `lab up`)')
    .argument('[args...]', 'ipvsadm arguments (after --)');
  return program;
}
