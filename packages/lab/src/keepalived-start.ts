/**
 * How the keepalived lab starts keepalived in the VM and knows it is ready (the scripts, and the pure
 * reading of what they print). Every step is one round trip on the VM's serial line, and under software
 * emulation each exec of keepalived (31 MB of libraries to map and relocate) costs up to a second and
 * a half: keepalived runs once, and its version is read from the line it logs at start-up.
 */
import { type IpvsService, parseIpvsadmList } from '@lvs-drain-kit/drivers';
import { KEEPALIVED_CONF, KEEPALIVED_PID } from './keepalived-config.js';
import { KEEPALIVED_LOG } from './keepalived-status.js';

const MARK = '@@ldk-log';

/**
 * Writes keepalived.conf from stdin and starts keepalived as Debian's unit runs it (`--dont-fork`),
 * logging to a file of its own (the VM has no syslog), in the background of a session of its own.
 */
export function keepalivedStartScript(): string {
  return [
    `mkdir -p /etc/keepalived /var/log`,
    `cat > ${KEEPALIVED_CONF}`,
    `{ setsid keepalived --dont-fork --log-console --log-detail --no-syslog --check -f ${KEEPALIVED_CONF} -p ${KEEPALIVED_PID} </dev/null >${KEEPALIVED_LOG} 2>&1 & }`,
  ].join(' && ');
}

/** IPVS's view, then keepalived's first log line (its version). */
export function keepalivedPollScript(): string {
  return `ipvsadm -Ln 2>&1; echo "${MARK}"; head -n 1 ${KEEPALIVED_LOG} 2>/dev/null; true`;
}

/** A virtual service of the lab's keepalived.conf and the real servers keepalived is to add to it. */
export interface KeepalivedService {
  vip: { host: string; port: number };
  reals: ReadonlyArray<{ host: string; port: number }>;
}

export interface KeepalivedProgress {
  /** Every real server of every service is in IPVS with a weight above 0: keepalived added it and holds it alive. */
  ready: boolean;
  /** `VIP:PORT -> HOST:PORT` of each real server not there yet, or there at weight 0 (a check that failed). */
  waiting: string[];
  /** `Keepalived v2.2.7 (01/16,2022)`, from keepalived's `Starting …` log line, once it has written it. */
  version?: string;
  /** What ipvsadm printed, for the error when keepalived never gets there. */
  listing: string;
}

/** Reads the poll script's output: which real servers keepalived has put in IPVS with weight, and its version. */
export function keepalivedProgress(text: string, services: readonly KeepalivedService[]): KeepalivedProgress {
  const at = text.indexOf(`${MARK}\n`);
  const listing = at < 0 ? text : text.slice(0, at);
  const log = at < 0 ? '' : text.slice(at + MARK.length + 1);
  let ipvs: IpvsService[] = [];
  try {
    ipvs = parseIpvsadmList(listing);
  } catch {
    // Not a listing (yet): wait for the next look.
  }
  const waiting = services.flatMap(({ vip, reals }) => {
    const address = `${vip.host}:${vip.port}`;
    const dests = ipvs.find((s) => s.protocol === 'TCP' && s.address === address)?.servers ?? [];
    return reals
      .filter((r) => !dests.some((d) => d.host === r.host && d.port === r.port && d.weight > 0))
      .map((r) => `${address} -> ${r.host}:${r.port}`);
  });
  const version = /Starting (Keepalived v\S+(?: \([^)]*\))?)/.exec(log)?.[1];
  const progress: KeepalivedProgress = { ready: waiting.length === 0, waiting, listing };
  if (version) progress.version = version;
  return progress;
}
