import { shellQuote } from '@lvs-drain-kit/common';

export interface TemplateValues {
  vip: string;
  vport: number;
  rip: string;
  rport: number;
  weight: number;
}

const PLACEHOLDER = /\{(vip|vport|rip|rport|weight)\}/g;

/** Fills `{vip} {vport} {rip} {rport} {weight}`; every value is shell-quoted, so none can break out. */
export function fillTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_, key: keyof TemplateValues) => shellQuote(String(values[key])));
}

/** Names in braces that are not placeholders, e.g. a typo `{rpot}`: reported as a usage error. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([a-z_]+)\}/g)]
    .map((m) => m[1]!)
    .filter((k) => !/^(vip|vport|rip|rport|weight)$/.test(k));
}
