/**
 * `lab status` of the keepalived lab: keepalived's view of the real servers (the weight written in its
 * file, the weight it computed, whether it holds each one alive and what each checker says — from the
 * data dump keepalived writes on SIGUSR1) beside IPVS's (`ipvsadm -Ln`), and keepalived's latest log
 * lines. The script runs in the VM; the parsing here is pure.
 */
import { KEEPALIVED_CONF, KEEPALIVED_PID } from './keepalived-config.js';
import type { LabPlan } from './plan.js';

export const KEEPALIVED_LOG = '/var/log/keepalived.log';
/** Where keepalived's checker process writes its data dump (KA_TMP_DIR/keepalived_check.data). */
export const KEEPALIVED_CHECK_DATA = '/tmp/keepalived_check.data';

const MARK = '@@ldk';

/** One shell script: sections marked `@@ldk NAME`, each the output of one look. */
export function keepalivedStatusScript(): string {
  return [
    `echo "${MARK} pid"; cat ${KEEPALIVED_PID} 2>/dev/null`,
    `echo "${MARK} weights"; grep -n -E '^[[:space:]]*(real_server|weight)[[:space:]]' ${KEEPALIVED_CONF}`,
    // The checker writes the dump shortly after the signal: wait for a complete file (it ends with the checkers).
    `rm -f ${KEEPALIVED_CHECK_DATA}; kill -USR1 "$(cat ${KEEPALIVED_PID} 2>/dev/null)" 2>/dev/null`,
    `i=0; while [ $i -lt 30 ] && ! grep -q 'Checker' ${KEEPALIVED_CHECK_DATA} 2>/dev/null; do usleep 100000; i=$((i+1)); done`,
    `echo "${MARK} data"; cat ${KEEPALIVED_CHECK_DATA} 2>/dev/null`,
    `echo "${MARK} ipvs"; ipvsadm -Ln`,
    `echo "${MARK} log"; tail -n 8 ${KEEPALIVED_LOG} 2>/dev/null`,
  ].join('\n');
}

/** The sections of the script's output by name. */
export function statusSections(text: string): Record<string, string> {
  const sections: Record<string, string> = {};
  let name: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${MARK} `)) {
      name = line.slice(MARK.length + 1).trim();
      sections[name] = '';
    } else if (name !== undefined) sections[name] += `${line}\n`;
  }
  return sections;
}

interface RealView {
  rip: string;
  written?: number;
  initial?: number;
  effective?: number;
  alive?: boolean;
  checkers: string[];
}

/** keepalived's real servers from its data dump, with each one's checkers and the track files' values. */
export function parseCheckData(dump: string): RealView[] {
  const reals = new Map<string, RealView>();
  const tracks = new Map<string, string>();
  let rs: RealView | undefined;
  let checker: { rip: string; up?: boolean; method?: string; track?: string } | undefined;
  let track: string | undefined;
  const flushChecker = () => {
    if (!checker) return;
    const r = reals.get(checker.rip);
    if (r && checker.method) {
      r.checkers.push(`${checker.method}${checker.track ? ` ${checker.track}` : ''} ${checker.up ? 'up' : 'down'}`);
    }
    checker = undefined;
  };
  for (const raw of dump.split('\n')) {
    const line = raw.trim();
    const get = (re: RegExp) => re.exec(line)?.slice(1);
    const head = get(/^RIP = (\S+), RPORT = (\d+)/);
    const check = get(/^\[[^\]]+\]:\w+:\d+ -> \[([^\]]+)\]:\w+:(\d+)$/);
    const trackHead = get(/^Track file = (\S+)$/);
    if (head) {
      rs = { rip: `${head[0]}:${head[1]}`, checkers: [] };
      reals.set(rs.rip, rs);
    } else if (check) {
      flushChecker();
      rs = undefined;
      checker = { rip: `${check[0]}:${check[1]}` };
    } else if (trackHead) {
      flushChecker();
      track = trackHead[0];
    } else if (rs) {
      const [key, value] = get(/^(initial weight|effective weight|alive) = (-?\d+)$/) ?? [];
      if (key === 'initial weight') rs.initial = Number(value);
      if (key === 'effective weight') rs.effective = Number(value);
      if (key === 'alive') rs.alive = value === '1';
    } else if (checker) {
      const [key, value] = get(/^(Up|Keepalive method|Tracked file) = (\S+)$/) ?? [];
      if (key === 'Up') checker.up = value === 'yes';
      if (key === 'Keepalive method') checker.method = value;
      if (key === 'Tracked file') checker.track = value;
    } else if (track) {
      const status = get(/^Status = (-?\d+)$/);
      if (status) tracks.set(track, status[0]!);
    }
  }
  flushChecker();
  for (const r of reals.values()) {
    r.checkers = r.checkers.map((c) => {
      const name = /^FILE_CHECK (\S+)/.exec(c)?.[1];
      return name && tracks.has(name) ? `${c} (file ${tracks.get(name)})` : c;
    });
  }
  return [...reals.values()];
}

/** `N: real_server HOST PORT {` and `N: weight W` lines of the lab's own file → the weight written for each server. */
export function writtenWeights(grep: string): Map<string, number> {
  const out = new Map<string, number>();
  let current: string | undefined;
  for (const line of grep.split('\n')) {
    const rs = /^\d+:\s*real_server\s+(\S+)\s+(\d+)/.exec(line);
    if (rs) current = `${rs[1]}:${rs[2]}`;
    const w = /^\d+:\s*weight\s+(\d+)\s*$/.exec(line);
    if (w && current && !out.has(current)) out.set(current, Number(w[1]));
  }
  return out;
}

/** The status text: keepalived's view of each real server, IPVS's, then keepalived's latest log lines. */
export function describeKeepalived(text: string, plan: Pick<LabPlan, 'reals'>): string {
  const s = statusSections(text);
  if (!('ipvs' in s)) return text.trimEnd();
  const pid = s.pid?.trim();
  const written = writtenWeights(s.weights ?? '');
  const views = new Map(parseCheckData(s.data ?? '').map((v) => [v.rip, v]));
  const out = [`keepalived: ${pid ? `pid ${pid}, ${KEEPALIVED_CONF}` : 'not running'}`];
  for (const r of plan.reals) {
    const rip = `${r.host}:${r.port}`;
    const v = views.get(rip);
    const parts = [
      `weight in the file ${written.get(rip) ?? '?'}`,
      ...(v
        ? [
            `keepalived's ${v.effective ?? '?'} (loaded ${v.initial ?? '?'})`,
            v.alive ? 'alive' : 'down',
            ...(v.checkers.length ? [v.checkers.join(', ')] : []),
          ]
        : ["not in keepalived's data"]),
    ];
    out.push(`  ${r.name} ${rip}: ${parts.join('; ')}`);
  }
  out.push(
    'IPVS (ipvsadm -Ln):',
    ...(s.ipvs ?? '')
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`),
  );
  if (s.log?.trim())
    out.push(
      'keepalived log (latest):',
      ...s.log
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  return out.join('\n');
}
