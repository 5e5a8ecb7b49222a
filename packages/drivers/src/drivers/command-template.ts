import { shellQuote } from '@lvs-drain-kit/common';

export interface TemplateValues {
  vip: string;
  vport: number;
  rip: string;
  rport: number;
  weight: number;
}

const DRIVER_PLACEHOLDERS = ['vip', 'vport', 'rip', 'rport', 'weight'] as const;

/** Fills `{vip} {vport} {rip} {rport} {weight}`; every value is shell-quoted, so none can break out. */
export function fillTemplate(template: string, values: TemplateValues): string {
  return fillPlaceholders(template, { ...values });
}

/** Names in braces that are not placeholders, e.g. a typo `{rpot}`: reported as a usage error. */
export function unknownPlaceholders(template: string): string[] {
  return placeholdersOutside(template, DRIVER_PLACEHOLDERS);
}

/**
 * Fills `{name}` for every name in `values` (other braces are left as they are); every value is
 * shell-quoted, so none can break out of the command it lands in.
 */
export function fillPlaceholders(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, key: string) =>
    Object.hasOwn(values, key) ? shellQuote(String(values[key])) : whole,
  );
}

/** Names in braces that are not among `names`. */
export function placeholdersOutside(template: string, names: readonly string[]): string[] {
  return [...template.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!).filter((k) => !names.includes(k));
}
