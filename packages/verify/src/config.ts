import { readFile } from 'node:fs/promises';
import { parseDuration, parseHostPort } from '@lvs-drain-kit/common';
import type { DriverSpec } from '@lvs-drain-kit/drivers';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { DrainTestOptions } from './options.js';
import { parseRealSpec } from './real-spec.js';

const address = z.string().refine(
  (s) => {
    try {
      parseHostPort(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected HOST:PORT' },
);
const duration = z.union([z.number().int().nonnegative(), z.string()]).refine(
  (v) => {
    try {
      if (typeof v === 'string') parseDuration(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a duration like 500ms, 5s' },
);
const real = z.union([address, z.object({ address, name: z.string().min(1).optional() }).strict()]);
const driver = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ipvsadm'), director: z.string().optional() }).strict(),
  z
    .object({ kind: z.literal('haproxy'), socket: z.string(), backend: z.string(), server: z.string().optional() })
    .strict(),
  z
    .object({
      kind: z.literal('command'),
      drainCmd: z.string().min(1),
      restoreCmd: z.string().min(1),
      getCmd: z.string().optional(),
      timeout: duration.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('manual') }).strict(),
  z.object({ kind: z.literal('builtin'), control: z.string() }).strict(),
  z
    .object({
      kind: z.literal('nft'),
      table: z.string().min(1),
      chain: z.string().min(1),
      map: z.string().min(1),
      family: z.string().min(1).optional(),
      netns: z.string().min(1).optional(),
      director: z.string().min(1).optional(),
    })
    .strict(),
]);

/** A cluster file: the same as the flags; flags given on the command line win. */
export const ConfigSchema = z
  .object({
    vip: address,
    reals: z.array(real).min(2, 'at least two real servers: one to drain, one to take the load'),
    drain: address,
    driver,
    connections: z.number().int().min(2).max(10_000).optional(),
    newConnections: z.number().int().min(1).max(100_000).optional(),
    hold: duration.optional(),
    interval: duration.optional(),
    timeout: duration.optional(),
    restoreTimeout: duration.optional(),
    restoreWeight: z.number().int().min(1).max(65535).optional(),
    restore: z.boolean().optional(),
    strict: z.boolean().optional(),
  })
  .strict();

export type ClusterConfig = z.infer<typeof ConfigSchema>;

/** What a config file contributes, in the same terms as the flags. */
export interface ConfigValues
  extends Pick<
    DrainTestOptions,
    | 'vip'
    | 'reals'
    | 'drain'
    | 'connections'
    | 'newConnections'
    | 'holdMs'
    | 'intervalMs'
    | 'timeoutMs'
    | 'restoreTimeoutMs'
    | 'restoreWeight'
    | 'restore'
    | 'strict'
  > {
  driver: DriverSpec;
}

const ms = (v: number | string | undefined) =>
  v === undefined ? undefined : typeof v === 'number' ? v : parseDuration(v);

/** Validates a parsed config object; every problem is reported with its path, in one message. */
export function validateConfig(data: unknown, source = 'config'): ConfigValues {
  const r = ConfigSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new ConfigError(`${source}: ${issues.join('; ')}`);
  }
  const c = r.data;
  const { timeout: cmdTimeout, ...driverRest } = c.driver as Record<string, unknown> & { timeout?: string | number };
  const driverSpec = (
    c.driver.kind === 'command' && cmdTimeout !== undefined ? { ...driverRest, timeoutMs: ms(cmdTimeout) } : driverRest
  ) as DriverSpec;
  return {
    vip: parseHostPort(c.vip),
    reals: c.reals.map((x) =>
      typeof x === 'string' ? parseRealSpec(x) : { ...parseRealSpec(x.address), ...(x.name ? { name: x.name } : {}) },
    ),
    drain: parseHostPort(c.drain),
    driver: driverSpec,
    connections: c.connections,
    newConnections: c.newConnections,
    holdMs: ms(c.hold),
    intervalMs: ms(c.interval),
    timeoutMs: ms(c.timeout),
    restoreTimeoutMs: ms(c.restoreTimeout),
    restoreWeight: c.restoreWeight,
    restore: c.restore,
    strict: c.strict,
  };
}

export async function loadConfig(path: string): Promise<ConfigValues> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return validateConfig(data, path);
}
