/** Current sessions per server of a backend, read for the wait until a drained server is empty. */
import { DriverError } from '../errors.js';
import type { ConnectionCount } from '../types.js';
import type { HaproxyServerState } from './haproxy-api.js';

export interface HaproxyStatRow {
  pxname: string;
  svname: string;
  /** Current sessions. */
  scur: number;
  /** Requests queued for this server, not yet on it. */
  qcur: number;
}

/** Parses `show stat` (CSV whose first line is `# pxname,svname,qcur,…`); columns are found by name. */
export function parseShowStat(text: string): HaproxyStatRow[] {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const header = lines[0]?.startsWith('# ') ? lines[0].slice(2).split(',') : undefined;
  if (!header?.includes('scur')) throw new DriverError('unexpected answer to "show stat"', text);
  const at = (row: string[], name: string) => row[header.indexOf(name)] ?? '';
  return lines.slice(1).map((line) => {
    const row = line.split(',');
    return {
      pxname: at(row, 'pxname'),
      svname: at(row, 'svname'),
      scur: Number(at(row, 'scur')) || 0,
      qcur: Number(at(row, 'qcur')) || 0,
    };
  });
}

/**
 * `show stat`: the sessions each server of `backend` holds (scur); HAProxy keeps none once closed, so
 * there is no inactive count. Server names become addresses through `show servers state` (`servers`).
 */
export async function haproxyConnectionCounts(
  run: (command: string) => Promise<string>,
  backend: string,
  servers: readonly HaproxyServerState[],
): Promise<ConnectionCount[]> {
  const rows = parseShowStat(await run('show stat')).filter(
    (r) => r.pxname === backend && r.svname !== 'BACKEND' && r.svname !== 'FRONTEND',
  );
  return servers.map((s) => {
    const row = rows.find((r) => r.svname === s.name);
    if (!row) throw new DriverError(`HAProxy show stat has no row for ${backend}/${s.name}`);
    return { host: s.host, port: s.port, active: row.scur };
  });
}
