/** `rs-server realserver up|down|status --vip VIP[,VIP…]`: an LVS-DR real server's network set-up. */
import { isIPv4, isIPv6 } from 'node:net';
import { type Command, InvalidArgumentError } from 'commander';
import { NotSetUpError, UsageError } from '../../errors.js';
import { commanderOptions, flag, flagValues, toggle } from '../../options/flag.js';
import {
  DEFAULT_STATE_FILE,
  type RealServerOptions,
  realServerDown,
  realServerStatusOf,
  realServerUp,
} from '../../realserver/index.js';

/** `198.18.0.10,198.18.0.11` → addresses; IPv4 only (ARP is IPv4's; IPv6 VIPs need NDP handling instead). */
export function parseVips(text: string): string[] {
  const vips = text.split(',').map((v) => v.trim());
  for (const vip of vips) {
    if (isIPv6(vip)) throw new InvalidArgumentError(`${vip}: IPv6 VIPs are not supported (this sets up ARP, IPv4's)`);
    if (!isIPv4(vip)) throw new InvalidArgumentError(`invalid VIP "${vip}": expected an IPv4 address`);
  }
  return [...new Set(vips)];
}

export const REALSERVER_FLAGS = {
  vips: flag({ flags: '--vip <addresses>', description: 'the virtual IP(s), comma-separated', parse: parseVips }),
  stateFile: flag({
    flags: '--state-file <path>',
    description: 'where up records what it changed, for down (one per network namespace)',
    default: DEFAULT_STATE_FILE,
  }),
  dryRun: toggle('--dry-run', 'print the exact commands instead of running them'),
} as const;

const HELP = `
up      every VIP as a /32 on lo; net.ipv4.conf.{all,lo}.arp_ignore=1 and arp_announce=2, so this host
        accepts the director's packets for the VIP and never answers ARP for it. The values found before
        are recorded (--state-file) and a second up changes nothing.
down    removes the VIPs up added and puts back the recorded values, unless someone changed one since
        (then it is left alone, and said so). With --vip, only those VIPs (the ARP settings stay while
        other recorded VIPs remain).
status  whether each VIP is on lo and the ARP settings are as up sets them (exit 0), or not (exit 4).

Examples:
  rs-server realserver up --vip 172.16.0.113 --dry-run
  sudo rs-server realserver up --vip 172.16.0.113,172.16.0.114
  sudo rs-server realserver down

Exit codes: 0 done, 2 bad flags, 3 cannot change the host (root? iproute2, procps?), 4 status: not set up.`;

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function register(program: Command): void {
  const command = program
    .command('realserver')
    .summary('set this host up as an LVS-DR real server (VIP on lo, no ARP for it)')
    .description('The network set-up of an LVS-DR real server, idempotent and undoable.')
    .argument('<action>', 'up, down or status')
    .addHelpText('after', HELP);
  for (const option of commanderOptions(REALSERVER_FLAGS)) command.addOption(option);
  command.action(async (action: string, parsed: Record<string, unknown>) => {
    const flags = flagValues(REALSERVER_FLAGS, parsed);
    const o: RealServerOptions = {
      vips: flags.vips ?? [],
      stateFile: flags.stateFile,
      dryRun: flags.dryRun,
      onStep: (cmd) => write(flags.dryRun ? cmd : `+ ${cmd}`),
    };
    switch (action) {
      case 'up': {
        if (o.vips.length === 0) throw new UsageError('realserver up needs --vip');
        const { steps, record } = await realServerUp(o);
        if (steps.length === 0) process.stderr.write(`already set up for ${record.vips.join(', ')}: nothing to do\n`);
        return;
      }
      case 'down': {
        const { steps, notes } = await realServerDown(o);
        for (const note of notes) process.stderr.write(`${note}\n`);
        if (steps.length === 0 && notes.length === 0) process.stderr.write('nothing to undo\n');
        return;
      }
      case 'status': {
        const s = await realServerStatusOf(o);
        if (s.vips.length === 0) throw new NotSetUpError(`no VIP given and none recorded in ${o.stateFile}`);
        for (const v of s.vips) write(`${v.vip}: ${v.onLo ? 'on lo' : 'NOT on lo'}`);
        for (const x of s.sysctls) {
          write(`${x.key} = ${x.value ?? '?'}${x.value === x.wanted ? '' : ` (up sets ${x.wanted})`}`);
        }
        write(s.record ? `recorded in ${o.stateFile}` : `nothing recorded in ${o.stateFile}`);
        if (!s.up) throw new NotSetUpError('not set up as realserver up leaves it');
        return;
      }
      default:
        throw new UsageError(`unknown action "${action}": expected up, down or status`);
    }
  });
}
