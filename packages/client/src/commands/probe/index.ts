/** `lvs-client probe`: COUNT probes, which server answered each, and the latencies. */
import { durationArgument, type HostPort, hostPortArgument, wholeNumber } from '@lvs-drain-kit/common';
import type { Command } from 'commander';
import { makeColors, wantColor } from '../../colors.js';
import { EXIT, ProbeFailuresError, UsageError } from '../../errors.js';
import { type ProbeOptions, probe as runProbes } from '../../probe.js';
import { formatSample, formatSummary, probeJson } from '../../probe-report.js';
import { addCommand, type CliIO, type CommandContext, type CommandSpec } from '../command.js';
import { connectTimeout, noColor } from '../options.js';

/** Upper bound of --count: probes are a bounded load loop, whatever is typed. */
export const MAX_PROBES = 1_000_000;

export interface ProbeInvocation extends Omit<ProbeOptions, 'onSample' | 'signal'> {
  command: 'probe';
  json: boolean;
  colorFlag: boolean;
}

export const probeSpec: CommandSpec = {
  name: 'probe',
  summary: 'send COUNT probes and report which server answered each, with latencies',
  description:
    'Send COUNT probes and report which server answered each, replies per server, and connect/round-trip ' +
    'latency (p50/p99, in ms). With several targets, probes go to each in turn.',
  arguments: [
    {
      name: '<host:port...>',
      description: 'the virtual service (or several servers)',
      parse: (v: string, prev: HostPort[] = []) => [...prev, hostPortArgument(v)],
    },
  ],
  options: [
    {
      flags: '--count <n>',
      description: `number of probes, 1-${MAX_PROBES}`,
      parse: wholeNumber(1, MAX_PROBES),
      default: 10,
    },
    {
      flags: '--interval <duration>',
      description: 'pause between probes',
      parse: durationArgument,
      default: 200,
      defaultText: '200ms',
    },
    {
      flags: '--new-connection-each',
      description: 'a new connection per probe: what new clients see (default)',
      conflicts: ['sameConnection'],
    },
    { flags: '--same-connection', description: 'every probe on one held connection: what an open client sees' },
    { flags: '--line <text>', description: 'the line each probe sends', default: 'hello' },
    connectTimeout,
    {
      flags: '--timeout <duration>',
      description: 'wait this long for each reply',
      parse: durationArgument,
      default: 2_000,
      defaultText: '2s',
    },
    { flags: '--json', description: 'print the result as JSON (samples included, times in ms) instead of text' },
    noColor,
  ],
  examples: [
    ['lvs-client probe 172.16.0.100:2100 --count 20', 'which real server each new connection reaches'],
    ['lvs-client probe 172.16.0.100:2100 --same-connection --json', 'what a held connection sees, as JSON'],
  ],
  exitCodes: ['connect', 'timeout', 'probeFailures'],
};

export function probeInvocation(targets: HostPort[], o: Record<string, unknown>): ProbeInvocation {
  const line = o.line as string;
  if (/[\r\n]/.test(line)) throw new UsageError('--line must be a single line');
  return {
    command: 'probe',
    targets,
    count: o.count as number,
    intervalMs: o.interval as number,
    mode: o.sameConnection ? 'same-connection' : 'new-connection-each',
    line,
    connectTimeoutMs: o.connectTimeout as number,
    timeoutMs: o.timeout as number,
    json: o.json === true,
    colorFlag: o.color !== false,
  };
}

export async function probe(inv: ProbeInvocation, io: CliIO): Promise<number> {
  const colors = makeColors(wantColor({ isTTY: io.stdout.isTTY, flag: inv.colorFlag }));
  const abort = new AbortController();
  io.stopped().then(() => abort.abort());
  const result = await runProbes({
    ...inv,
    signal: abort.signal,
    onSample: inv.json ? undefined : (s) => io.stdout.write(`${formatSample(s, colors)}\n`),
  });
  io.stdout.write(inv.json ? `${probeJson(result)}\n` : `${formatSummary(result).join('\n')}\n`);
  if (result.connectError) throw result.connectError;
  if (result.failed > 0) throw new ProbeFailuresError(`${result.failed} of ${result.count} probes got no reply`);
  return EXIT.ok;
}

export function register(program: Command, ctx: CommandContext): Command {
  return addCommand(program, probeSpec).action((targets: HostPort[], o: Record<string, unknown>) =>
    ctx.perform(probe, probeInvocation(targets, o)),
  );
}
