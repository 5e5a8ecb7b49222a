import { AddressError, parseHostPort } from '@lvs-drain-kit/common';
import type { RealSpec } from './options.js';

/** `HOST:PORT[=NAME]` as given to `--real`. */
export function parseRealSpec(text: string): RealSpec {
  const eq = text.indexOf('=');
  const address = eq >= 0 ? text.slice(0, eq) : text;
  const name = eq >= 0 ? text.slice(eq + 1).trim() : undefined;
  const hp = parseHostPort(address);
  if (name !== undefined && name.length === 0)
    throw new AddressError(`invalid real server "${text}": empty name after "="`);
  return { host: hp.host, port: hp.port, ...(name ? { name } : {}) };
}
