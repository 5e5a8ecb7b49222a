/**
 * A cluster file (YAML): the same settings as drain-test's flags, under the names of its option table;
 * flags given on the command line win. The schema is derived from that table and the drivers' table.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { OptionDef } from './options/define.js';
import { type ConfigValues, DRAIN_TEST_OPTIONS } from './options/drain-test.js';

const inFile = Object.entries(DRAIN_TEST_OPTIONS as Record<string, OptionDef>).flatMap(([key, def]) =>
  def.config
    ? [{ key, fileKey: def.config.key ?? key, schema: def.config.schema(z), required: def.config.required }]
    : [],
);

export const ConfigSchema = z
  .object(Object.fromEntries(inFile.map((o) => [o.fileKey, o.required ? o.schema : o.schema.optional()])))
  .strict();

export type { ConfigValues };

/** Validates a parsed config object; every problem is reported with its path, in one message. */
export function validateConfig(data: unknown, source = 'config'): ConfigValues {
  const r = ConfigSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new ConfigError(`${source}: ${issues.join('; ')}`);
  }
  const file = r.data as Record<string, unknown>;
  return Object.fromEntries(
    inFile.filter((o) => file[o.fileKey] !== undefined).map((o) => [o.key, file[o.fileKey]]),
  ) as ConfigValues;
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
