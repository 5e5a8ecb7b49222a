/** Pieces of --help shared by the commands. */
import { DRIVERS } from '@lvs-drain-kit/drivers';

/** `Title:` and indented lines, as commander prints its own sections. */
export function helpSection(title: string, lines: readonly string[]): string {
  return `\n${title}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

/** Rows of two columns, the first padded. */
export function helpRows(rows: ReadonlyArray<readonly [string | number, string]>): string[] {
  const width = Math.max(...rows.map(([a]) => String(a).length));
  return rows.map(([a, b]) => `${String(a).padEnd(width)}  ${b}`);
}

/** The `Exit codes:` section of a command: its codes, each with what it means there. */
export function exitCodesHelp(rows: ReadonlyArray<readonly [number, string]>): string {
  return helpSection('Exit codes', helpRows(rows));
}

/** The `Drivers (--driver)` section of the commands that take a driver: each kind and what it drives. */
export const DRIVERS_HELP = ['Drivers (--driver)', helpRows(DRIVERS.map((d) => [d.kind, d.description]))] as const;
