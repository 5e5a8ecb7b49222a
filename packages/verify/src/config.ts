/**
 * A cluster file (YAML): the same settings as the flags, under the names of the option tables; flags
 * given on the command line win. One file serves every command: a key any command knows is accepted
 * (drain-test's `hold` in a file read by maintain is simply not maintain's), each command requires its
 * own keys, and a key no command knows is an error. The schema is derived from the option tables and
 * the drivers' table.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { ConfigValuesOf, OptionDef } from './options/define.js';
import { DRAIN_OPTIONS, UNDRAIN_OPTIONS } from './options/drain.js';
import { type ConfigValues, DRAIN_TEST_OPTIONS } from './options/drain-test.js';
import { MAINTAIN_OPTIONS } from './options/maintain.js';

type OptionTable = Readonly<Record<string, OptionDef>>;

const TABLES: readonly OptionTable[] = [DRAIN_TEST_OPTIONS, MAINTAIN_OPTIONS, DRAIN_OPTIONS, UNDRAIN_OPTIONS];

interface FileKey {
  key: string;
  fileKey: string;
  schema: z.ZodType;
  required: boolean;
}

function fileKeys(table: OptionTable): FileKey[] {
  return Object.entries(table).flatMap(([key, def]) =>
    def.config
      ? [{ key, fileKey: def.config.key ?? key, schema: def.config.schema(z), required: Boolean(def.config.required) }]
      : [],
  );
}

/** Every key a cluster file may hold: one schema per key, whichever command's table it comes from. */
const KNOWN = new Map<string, z.ZodType>();
for (const table of TABLES) {
  for (const k of fileKeys(table)) if (!KNOWN.has(k.fileKey)) KNOWN.set(k.fileKey, k.schema);
}

const schemas = new WeakMap<OptionTable, { schema: z.ZodType; keys: FileKey[] }>();

/** The file schema for `table`'s command: its required keys required, every known key allowed. */
function schemaFor(table: OptionTable) {
  const cached = schemas.get(table);
  if (cached) return cached;
  const keys = fileKeys(table);
  const shape = Object.fromEntries(
    [...KNOWN].map(([fileKey, schema]) => [
      fileKey,
      keys.some((k) => k.fileKey === fileKey && k.required) ? schema : schema.optional(),
    ]),
  );
  const made = { schema: z.object(shape).strict(), keys };
  schemas.set(table, made);
  return made;
}

/** drain-test's schema, as before: the file a drain test reads. */
export const ConfigSchema = schemaFor(DRAIN_TEST_OPTIONS).schema;

export type { ConfigValues };

/**
 * Validates a parsed config object for the command of `table` (default drain-test); every problem is
 * reported with its path, in one message. The values come back under `table`'s option keys.
 */
export function validateConfig<T extends OptionTable = typeof DRAIN_TEST_OPTIONS>(
  data: unknown,
  source = 'config',
  table: T = DRAIN_TEST_OPTIONS as unknown as T,
): ConfigValuesOf<T> {
  const { schema, keys } = schemaFor(table);
  const r = schema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new ConfigError(`${source}: ${issues.join('; ')}`);
  }
  const file = r.data as Record<string, unknown>;
  return Object.fromEntries(
    keys.filter((k) => file[k.fileKey] !== undefined).map((k) => [k.key, file[k.fileKey]]),
  ) as ConfigValuesOf<T>;
}

export async function loadConfig<T extends OptionTable = typeof DRAIN_TEST_OPTIONS>(
  path: string,
  table: T = DRAIN_TEST_OPTIONS as unknown as T,
): Promise<ConfigValuesOf<T>> {
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
  return validateConfig(data, path, table);
}
