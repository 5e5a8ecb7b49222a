import { durationArgument } from '@lvs-drain-kit/common';
import type { z } from 'zod';
import { type DriverDefinition, specSchema } from '../definition.js';
import { DrainCommandError, DriverError, DriverSpecError } from '../errors.js';
import type { DrainDriver, RealServerRef, ServiceRef } from '../types.js';
import { fillTemplate, type TemplateValues, unknownPlaceholders } from './command-template.js';

const schema = specSchema('command', (z) => ({
  drainCmd: z.string().min(1),
  restoreCmd: z.string().min(1),
  getCmd: z.string().min(1).optional(),
  timeoutMs: z.number().int().nonnegative().optional(),
}));
export type CommandSpec = z.output<ReturnType<typeof schema>>;

const PLACEHOLDERS = 'placeholders {vip} {vport} {rip} {rport} {weight}';

export const commandDriver: DriverDefinition<CommandSpec> = {
  kind: 'command',
  description: 'your own commands, run by /bin/sh -c, every value shell-quoted',
  schema,
  flags: {
    drainCmd: { flag: '--drain-cmd <template>', help: `sets the weight to 0; ${PLACEHOLDERS}` },
    restoreCmd: {
      flag: '--restore-cmd <template>',
      help: 'puts the server back (with {weight}: the weight read by --get-cmd or given by --restore-weight)',
    },
    getCmd: { flag: '--get-cmd <template>', help: 'prints the current weight, a decimal integer (optional)' },
    timeoutMs: {
      flag: '--command-timeout <duration>',
      help: 'how long each command may run (default 30s)',
      parse: durationArgument,
      format: (ms) => `${ms}ms`,
      configKey: 'timeout',
    },
  },
  examples: [
    {
      kind: 'command',
      drainCmd: 'lb-weight {vip}:{vport} {rip}:{rport} {weight}',
      restoreCmd: 'lb-weight {vip}:{vport} {rip}:{rport} {weight}',
      getCmd: 'lb-weight --get {vip}:{vport} {rip}:{rport}',
      timeoutMs: 5000,
    },
  ],
  create: async (spec) => createCommandDriver(spec),
};

export interface CommandDriverOptions {
  /** Run with weight 0. */
  drainCmd: string;
  /** Run with the original weight. */
  restoreCmd: string;
  /** Optional: prints the current weight. */
  getCmd?: string;
  timeoutMs?: number;
}

/** Drives anything (keepalived, a cloud API, a wrapper) through `/bin/sh -c` templates. */
export function createCommandDriver(options: CommandDriverOptions): DrainDriver {
  for (const t of [options.drainCmd, options.restoreCmd, options.getCmd ?? '']) {
    const bad = unknownPlaceholders(t);
    if (bad.length > 0)
      throw new DriverSpecError(`unknown placeholder {${bad[0]}} in "${t}": use {vip} {vport} {rip} {rport} {weight}`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const values = (service: ServiceRef, real: RealServerRef, weight: number): TemplateValues => ({
    vip: service.vip.host,
    vport: service.vip.port,
    rip: real.host,
    rport: real.port,
    weight,
  });

  async function sh(command: string): Promise<string> {
    // execa loads on first use: reading the driver table must stay cheap.
    const { execa } = await import('execa');
    const r = await execa('/bin/sh', ['-c', command], { reject: false, timeout: timeoutMs, input: '' });
    if (r.timedOut)
      throw new DrainCommandError(
        `command timed out after ${timeoutMs} ms: ${command}`,
        command,
        undefined,
        String(r.stderr),
      );
    if (r.exitCode !== 0) {
      const stderr = String(r.stderr).trim();
      throw new DrainCommandError(
        `command exited with code ${r.exitCode}: ${command}${stderr ? ` — ${stderr.split('\n').at(-1)}` : ''}`,
        command,
        r.exitCode,
        stderr,
      );
    }
    return String(r.stdout);
  }

  const template = (weight: number) => (weight === 0 ? options.drainCmd : options.restoreCmd);
  return {
    name: 'command',
    description: `command: ${options.drainCmd}`,
    readsWeight: options.getCmd !== undefined,
    restoreNeedsWeight: /\{weight\}/.test(options.restoreCmd),
    async inspect() {
      return { servers: [] };
    },
    async getWeight(service, real) {
      if (!options.getCmd) return undefined;
      const command = fillTemplate(options.getCmd, values(service, real, 0));
      return parseWeightOutput(await sh(command), command);
    },
    async setWeight(service, real, weight) {
      await sh(fillTemplate(template(weight), values(service, real, weight)));
    },
    describeChange(service, real, weight) {
      return `command: ${fillTemplate(template(weight), values(service, real, weight))}`;
    },
    manualCommand(service, real, weight) {
      return fillTemplate(template(weight), values(service, real, weight));
    },
  };
}

/**
 * What --get-cmd printed, as a weight: a decimal integer and nothing else (surrounding blanks aside).
 * Empty output, `0x10`, `1e3` or `weight: 3` is a DriverError naming the output, never a number guessed.
 */
export function parseWeightOutput(stdout: string, command: string): number {
  const text = stdout.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  throw new DriverError(
    `--get-cmd printed ${text.length === 0 ? 'nothing' : JSON.stringify(shown)}, not a weight (a decimal integer): ${command}`,
    stdout,
  );
}
