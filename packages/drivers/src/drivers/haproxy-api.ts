import { connect } from 'node:net';
import { parseHostPort } from '@lvs-drain-kit/common';
import { DriverError } from '../errors.js';

/** Where the runtime API listens: a unix socket path, or `tcp://HOST:PORT` / `HOST:PORT`. */
export type ApiAddress = { path: string } | { host: string; port: number };

export function parseApiAddress(text: string): ApiAddress {
  if (text.startsWith('/') || text.startsWith('unix:') || text.startsWith('./'))
    return { path: text.replace(/^unix:/, '') };
  const hp = parseHostPort(text.replace(/^tcp:\/\//, ''));
  return { host: hp.host, port: hp.port };
}

/** Sends one command to HAProxy's runtime API (non-interactive: it answers and closes). */
export function haproxyCommand(api: ApiAddress | string, command: string, timeoutMs = 5000): Promise<string> {
  const address = typeof api === 'string' ? parseApiAddress(api) : api;
  return new Promise((resolve, reject) => {
    const socket = 'path' in address ? connect({ path: address.path }) : connect(address);
    const where = 'path' in address ? address.path : `${address.host}:${address.port}`;
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DriverError(`HAProxy runtime API at ${where}: no answer to "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (d: string) => {
      out += d;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new DriverError(`cannot reach the HAProxy runtime API at ${where}: ${err.message}`));
    });
  });
}

export interface HaproxyServerState {
  name: string;
  host: string;
  port: number;
  weight: number;
}

/** Parses `show servers state BACKEND`: a version line, a `# col ...` header, then one row per server. */
export function parseServersState(text: string): HaproxyServerState[] {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) throw new DriverError('unexpected answer to "show servers state"', text);
  const cols = header.slice(2).trim().split(/\s+/);
  const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? '';
  return lines
    .filter((l) => !l.startsWith('#') && /^\d+\s/.test(l) && l.split(/\s+/).length >= cols.length - 2)
    .map((l) => {
      const row = l.trim().split(/\s+/);
      return {
        name: at(row, 'srv_name'),
        host: at(row, 'srv_addr'),
        port: Number(at(row, 'srv_port')),
        weight: Number(at(row, 'srv_uweight')),
      };
    });
}

/** Parses `get weight` → `1 (initial 1)`. */
export function parseGetWeight(text: string): number {
  const m = /^(\d+) \(initial \d+\)/.exec(text.trim());
  if (!m) throw new DriverError(`unexpected answer to "get weight": ${text.trim()}`, text);
  return Number(m[1]);
}
