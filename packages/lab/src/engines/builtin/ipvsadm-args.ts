import { parseHostPort } from '@lvs-drain-kit/common';
import { forwardingName } from '@lvs-drain-kit/drivers';

/** The subset of an ipvsadm command line the builtin lab director understands. */
export interface IpvsadmCommand {
  command:
    | 'add-service'
    | 'edit-service'
    | 'delete-service'
    | 'clear'
    | 'add-server'
    | 'edit-server'
    | 'delete-server'
    | 'list'
    | 'zero';
  service?: { host: string; port: number };
  real?: { host: string; port: number };
  weight?: number;
  forwarding?: string;
  upperThreshold?: number;
  lowerThreshold?: number;
  scheduler?: string;
  /** `-p [SECONDS]`: a persistent service (300 s when no value follows, as ipvsadm). */
  persistent?: number;
  thresholds?: boolean;
  /** `-L -c`: the connection table instead of the services. */
  connections?: boolean;
}

const COMMANDS: Record<string, IpvsadmCommand['command']> = {
  '-A': 'add-service',
  '--add-service': 'add-service',
  '-E': 'edit-service',
  '--edit-service': 'edit-service',
  '-D': 'delete-service',
  '--delete-service': 'delete-service',
  '-C': 'clear',
  '--clear': 'clear',
  '-a': 'add-server',
  '--add-server': 'add-server',
  '-e': 'edit-server',
  '--edit-server': 'edit-server',
  '-d': 'delete-server',
  '--delete-server': 'delete-server',
  '-L': 'list',
  '-l': 'list',
  '--list': 'list',
  '-Z': 'zero',
  '--zero': 'zero',
};

export class IpvsadmArgsError extends Error {
  override name = 'IpvsadmArgsError';
}

function int(flag: string, v: string | undefined, max: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) > max) throw new IpvsadmArgsError(`Illegal ${flag} specified`);
  return Number(v);
}

/** Parses ipvsadm's argv (without the program name); messages follow ipvsadm's wording. */
export function parseIpvsadmArgs(argv: readonly string[]): IpvsadmCommand {
  // Short options without a value may be grouped, as getopt allows: `-Ln` is `-L -n`.
  argv = argv.flatMap((a) => (/^-[LlnZC]{2,}$/.test(a) ? [...a.slice(1)].map((c) => `-${c}`) : [a]));
  let command: IpvsadmCommand['command'] | undefined;
  const out: Partial<IpvsadmCommand> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i];
    if (COMMANDS[a]) {
      if (command) throw new IpvsadmArgsError('multiple commands specified');
      command = COMMANDS[a];
      continue;
    }
    switch (a) {
      case '-t':
      case '--tcp-service':
        out.service = parseHostPort(next() ?? '');
        break;
      case '-r':
      case '--real-server':
        out.real = parseHostPort(next() ?? '');
        break;
      case '-w':
      case '--weight':
        out.weight = int('weight', next(), 65535);
        break;
      case '-x':
      case '--u-threshold':
        out.upperThreshold = int('upper threshold', next(), 2 ** 31);
        break;
      case '-y':
      case '--l-threshold':
        out.lowerThreshold = int('lower threshold', next(), 2 ** 31);
        break;
      case '-s':
      case '--scheduler':
        out.scheduler = next();
        break;
      case '-p':
      case '--persistent':
        // The value is optional, as in ipvsadm: only a number that follows is taken as one.
        if (/^\d+$/.test(argv[i + 1] ?? '')) out.persistent = int('timeout', next(), 2_678_400) || 300;
        else out.persistent = 300;
        break;
      case '-g':
      case '--gatewaying':
      case '-m':
      case '--masquerading':
      case '-i':
      case '--ipip':
        out.forwarding = forwardingName(
          a.length === 2 ? a : a === '--gatewaying' ? '-g' : a === '--masquerading' ? '-m' : '-i',
        );
        break;
      case '-n':
      case '--numeric':
      case '--stats':
      case '--rate':
        break;
      case '--thresholds':
        out.thresholds = true;
        break;
      case '-c':
      case '--connection':
        out.connections = true;
        break;
      default:
        throw new IpvsadmArgsError(
          `invalid option -- '${a}' (the builtin lab director understands -A -E -D -C -a -e -d -L -Z, -s -p -r -w -x -y -g -m -i)`,
        );
    }
  }
  if (!command) throw new IpvsadmArgsError('no command specified');
  if (out.connections && command !== 'list') throw new IpvsadmArgsError('-c goes with -L only');
  return { command, ...out };
}
