/**
 * Option tables → commander: the options of a command, and its parsed values read back by option key,
 * with the keys given on the command line told apart from defaults (a flag wins over a cluster file only
 * when it was given).
 */
import { DRIVER_KINDS, driverFlagUses } from '@lvs-drain-kit/drivers';
import { type Command, Option } from 'commander';
import type { FlagValues, OptionDef } from './define.js';

/** Options whose key is not commander's name for them (`--hold` sets `holdMs`). */
/** Options whose key is not commander's name for them (`--hold` sets `holdMs`). */
const KEYS = new WeakMap<Option, string>();

function toOption(def: OptionDef): Option {
  const help = def.defaultText === undefined ? def.help : `${def.help} (default ${def.defaultText})`;
  const o = new Option(def.flag, help);
  if (def.parse) o.argParser(def.parse as (text: string, previous: unknown) => unknown);
  if (def.choices) o.choices(def.choices);
  if (def.hidden) o.hideHelp();
  return o;
}

/** Adds every option of `table` to `command`, in table order; `after` adds more options right after one key. */
export function addOptions(
  command: Command,
  table: Readonly<Record<string, OptionDef>>,
  after: Readonly<Record<string, (command: Command) => void>> = {},
): void {
  for (const [key, def] of Object.entries(table)) {
    const o = toOption(def);
    if (o.attributeName() !== key) KEYS.set(o, key);
    command.addOption(o);
    after[key]?.(command);
  }
}

/** The parsed values by option key, and the keys given on the command line. */
export function readOptions<T extends Readonly<Record<string, OptionDef>>>(
  command: Command,
  table: T,
): { values: FlagValues<T>; given: ReadonlySet<keyof T & string> } {
  const opts = command.opts();
  const values: Record<string, unknown> = {};
  const given = new Set<keyof T & string>();
  for (const o of command.options) {
    const key = KEYS.get(o) ?? o.attributeName();
    if (!(key in table)) continue;
    values[key] = opts[o.attributeName()];
    if (command.getOptionValueSource(o.attributeName()) === 'cli') given.add(key);
  }
  return { values: values as FlagValues<T>, given };
}

/**
 * Every driver's flags, from the drivers' table: one option per flag, its help prefixed with the kinds
 * that use it (`ipvsadm, nft: where its commands run …`).
 */
export function addDriverOptions(command: Command): void {
  for (const use of driverFlagUses()) {
    const kinds = use.kinds.length === DRIVER_KINDS.length ? 'every driver' : use.kinds.join(', ');
    const o = new Option(use.flag.flag, `${kinds}: ${use.flag.help}`);
    if (use.flag.parse) o.argParser(use.flag.parse as (text: string) => unknown);
    command.addOption(o);
  }
}

/** The driver flags given on the command line, by flag name (`--nft-table`), as the drivers' table reads them. */
export function readDriverFlags(command: Command): Record<string, unknown> {
  const opts = command.opts();
  const given: Record<string, unknown> = {};
  for (const use of driverFlagUses()) {
    const o = command.options.find((x) => x.long === use.name);
    if (o && command.getOptionValueSource(o.attributeName()) === 'cli') given[use.name] = opts[o.attributeName()];
  }
  return given;
}
