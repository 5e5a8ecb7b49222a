/**
 * The `keepalived` driver: drains a real server of a director that keepalived runs, the way keepalived
 * expects to be told — in its own file. By weight (the default): the real server's `weight N` in
 * keepalived.conf is the only value changed (the file is otherwise byte for byte the same; the first
 * change keeps a backup), the edited file must pass `keepalived --config-test` before it replaces the
 * old one, and keepalived reloads on SIGHUP to the PID in its pid file. By track file
 * (`--keepalived-track-file NAME`): 1 is written into the file of a `track_file` that the server's
 * FILE_CHECK watches with weight 0, and `inhibit_on_failure` turns the failed check into weight 0; no
 * reload. Either way the result is read back from IPVS (`ipvsadm -L -n`), waiting for keepalived to
 * program it. Restore puts back the exact bytes found, and only when the file still holds what this
 * run wrote. Anything the driver cannot be sure of is refused before a change (exit 3).
 */
import { type CommandTransport, durationArgument, formatHostPort, shellJoin, shellQuote } from '@lvs-drain-kit/common';
import { type DriverSpec, defineDriver } from '../definition.js';
import { DriverError } from '../errors.js';
import { createDirectorTransport, DIRECTOR_FLAG } from '../transports/factory.js';
import type { DirectorState, DrainDriver, RealServerRef, ServiceRef } from '../types.js';
import { createIpvsadmDriver } from './ipvsadm.js';
import { parseIpvsadmList } from './ipvsadm-list.js';
import {
  dynamicWeightChecker,
  KeepalivedConfError,
  locateRealServer,
  locateTrackFileDrain,
  locateVirtualServer,
  parseKeepalivedConf,
  quorumOf,
  type RealServerBlock,
  type Statement,
  virtualServersFor,
  withWeight,
} from './keepalived-conf.js';
import {
  ApplyError,
  applyAndReload,
  DEFAULT_CONF,
  DEFAULT_PID_FILE,
  includedFiles,
  readBytes,
  sh,
  sha256,
  snapshot,
  toBase64,
} from './keepalived-director.js';

export const keepalivedDriver = defineDriver(
  'keepalived',
  (z) => ({
    director: z.string().min(1).optional(),
    conf: z.string().startsWith('/').optional(),
    pidFile: z.string().startsWith('/').optional(),
    trackFile: z.string().min(1).optional(),
    waitMs: z.number().int().positive().optional(),
  }),
  {
    description: "keepalived's own file: the real server's weight in keepalived.conf and a reload (or a track_file)",
    flags: {
      director: DIRECTOR_FLAG,
      conf: {
        flag: '--keepalived-conf <path>',
        help: `the keepalived.conf that holds the virtual_server, as keepalived runs it (default ${DEFAULT_CONF})`,
      },
      pidFile: {
        flag: '--keepalived-pid <path>',
        help: `keepalived's pid file; the reload is a SIGHUP to that process (default ${DEFAULT_PID_FILE})`,
      },
      trackFile: {
        flag: '--keepalived-track-file <name>',
        help: "drain by writing 1 into this track_file's file (the server's FILE_CHECK, weight 0, inhibit_on_failure) instead of editing its weight",
      },
      waitMs: {
        flag: '--keepalived-wait <duration>',
        help: 'how long keepalived may take to program IPVS after a change (default 10s)',
        parse: durationArgument,
        format: (ms) => `${ms}ms`,
        configKey: 'wait',
      },
    },
    examples: [
      { kind: 'keepalived', director: 'ssh://root@172.16.0.113' },
      {
        kind: 'keepalived',
        director: 'ssh://root@lb1',
        conf: '/etc/keepalived/keepalived.conf',
        pidFile: '/run/keepalived.pid',
        trackFile: 'drain_rs1',
        waitMs: 5000,
      },
    ],
    create: async (spec) =>
      createKeepalivedDriver({
        transport: await createDirectorTransport(spec.director),
        ...(spec.conf !== undefined && { conf: spec.conf }),
        ...(spec.pidFile !== undefined && { pidFile: spec.pidFile }),
        ...(spec.trackFile !== undefined && { trackFile: spec.trackFile }),
        ...(spec.waitMs !== undefined && { waitMs: spec.waitMs }),
      }),
  },
);
export type KeepalivedSpec = DriverSpec<typeof keepalivedDriver>;

export interface KeepalivedDriverOptions {
  transport: CommandTransport;
  /** keepalived.conf on the director. Default /etc/keepalived/keepalived.conf. */
  conf?: string;
  /** keepalived's pid file. Default /run/keepalived.pid. */
  pidFile?: string;
  /** Drain through this track_file instead of the weight. */
  trackFile?: string;
  /** How long keepalived may take to program IPVS after a change. Default 10 s. */
  waitMs?: number;
}

/** The files the driver makes next to keepalived.conf (same folder: same includes, an atomic rename). */
export const BACKUP_SUFFIX = '.lvs-drain-kit.bak';

const refuse = (err: unknown): never => {
  if (err instanceof KeepalivedConfError) throw new DriverError(err.message);
  throw err;
};

export function createKeepalivedDriver(o: KeepalivedDriverOptions): DrainDriver {
  const { transport } = o;
  const confPath = o.conf ?? DEFAULT_CONF;
  const pidFile = o.pidFile ?? DEFAULT_PID_FILE;
  const waitMs = o.waitMs ?? 10_000;
  const backup = `${confPath}${BACKUP_SUFFIX}`;
  const remote = (cmd: string) =>
    transport.description === 'local' ? cmd : `${transport.description} ${shellQuote(cmd)}`;
  // IPVS is read as the ipvsadm driver reads it; its warning about a keepalived owner is this driver's point.
  const ipvs = createIpvsadmDriver({ transport, name: 'keepalived', keepalivedCheck: false });

  /** The file as it was before this run's first change, and as this run last wrote it. */
  let original: string | undefined;
  let written: string | undefined;
  /** The same for the track file (`bytes` undefined: it did not exist). */
  let trackOriginal: { bytes: string | undefined } | undefined;
  let trackWritten: string | undefined;
  let lastLocated: { located: RealServerBlock; track?: { path: string } } | undefined;

  /** The running keepalived (refused when there is none, or it reads another file) and its file. */
  async function read(test = false) {
    const snap = await snapshot(transport, confPath, pidFile, test);
    const p = snap.process;
    if (!p) {
      throw new DriverError(
        `keepalived is not running on the director (no live keepalived process in ${pidFile}): a change to its file would not reach IPVS; give --keepalived-pid, or drain with --driver ipvsadm if nothing owns IPVS`,
      );
    }
    if (p.conf !== confPath) {
      throw new DriverError(
        `keepalived (pid ${p.pid}) reads ${p.conf}, not ${confPath}: give --keepalived-conf ${p.conf}`,
      );
    }
    if (snap.bytes === undefined)
      throw new DriverError(`${confPath} does not exist on the director (${transport.description})`);
    let conf: Statement[];
    try {
      conf = parseKeepalivedConf(snap.bytes);
    } catch (err) {
      return refuse(err);
    }
    return { ...snap, process: p, bytes: snap.bytes, conf };
  }

  /** The service must be defined once, in this file, and in none of the files it includes. */
  async function checkService(file: { bytes: string; conf: Statement[] }, service: ServiceRef): Promise<void> {
    try {
      locateVirtualServer(file.conf, service.vip, confPath);
    } catch (err) {
      refuse(err);
    }
    const elsewhere = (await includedFiles(transport, { path: confPath, ...file })).filter(
      (f) => virtualServersFor(f.conf, service.vip).length > 0,
    );
    if (elsewhere.length > 0) {
      throw new DriverError(
        `virtual_server ${service.vip.host} ${service.vip.port} is also defined in ${elsewhere.map((f) => f.path).join(', ')}, included by ${confPath}: which one keepalived keeps is not for the driver to guess`,
      );
    }
  }

  function locate(file: { conf: Statement[] }, service: ServiceRef, real: RealServerRef) {
    try {
      const located = locateRealServer(file.conf, service.vip, real, confPath);
      const dynamic = dynamicWeightChecker(located);
      if (dynamic && !o.trackFile) {
        throw new DriverError(
          `${confPath} line ${dynamic.line}: the ${dynamic.words[0]!.text} of real_server ${formatHostPort(real)} is dynamic: keepalived takes the server's weight from the check, so a weight written in the file does not hold. Drain through what the check reads (rs-server: --driver agent), or use a track file`,
        );
      }
      const q = quorumOf(located);
      if (q && !o.trackFile && q.total - located.value < q.quorum) {
        throw new DriverError(
          `${confPath}: draining ${formatHostPort(real)} leaves the written weights of TCP ${formatHostPort(service.vip)} at ${q.total - located.value}, below its quorum ${q.quorum}: keepalived would take the service down`,
        );
      }
      const track = o.trackFile ? locateTrackFileDrain(file.conf, located, o.trackFile, confPath) : undefined;
      lastLocated = { located, ...(track ? { track: { path: track.path } } : {}) };
      return { located, track };
    } catch (err) {
      return refuse(err);
    }
  }

  /** The server's weight in IPVS: one `ipvsadm -L -n -t VIP` (keepalived sets no thresholds the driver would repeat). */
  async function ipvsWeight(service: ServiceRef, real: RealServerRef): Promise<number | undefined> {
    const vip = formatHostPort(service.vip);
    const r = await transport.run(['ipvsadm', '-L', '-n', '-t', vip], { timeoutMs: 10_000 });
    if (r.exitCode !== 0) throw new DriverError(`ipvsadm -L -n -t ${vip} failed: ${r.stderr.trim()}`, r.stderr);
    const s = parseIpvsadmList(r.stdout).find((x) => x.address === vip);
    return s?.servers.find((d) => d.host === real.host && d.port === real.port)?.weight;
  }

  /** Until IPVS shows `weight` for the server (keepalived programs it shortly after a reload or a file change). */
  async function waitForIpvs(service: ServiceRef, real: RealServerRef, weight: number, after: string): Promise<void> {
    const deadline = Date.now() + waitMs;
    let seen: number | undefined;
    for (;;) {
      seen = await ipvsWeight(service, real);
      if (seen === weight) return;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new DriverError(
      `keepalived did not set weight ${weight} for ${formatHostPort(real)} in IPVS within ${waitMs} ms of ${after} (IPVS shows ${seen ?? 'no such real server'})`,
    );
  }

  async function setByWeight(service: ServiceRef, real: RealServerRef, weight: number): Promise<void> {
    const file = await read();
    if (written !== undefined && file.bytes !== written) {
      throw new DriverError(
        `${confPath} was changed by someone else since this run wrote it: not overwriting it (this run's starting point is in ${backup})`,
      );
    }
    const { located } = locate(file, service, real);
    await checkService(file, service);
    if (located.value === weight && (await ipvsWeight(service, real)) === weight) return;
    const restoring =
      original !== undefined &&
      locateRealServer(parseKeepalivedConf(original), service.vip, real, confPath).value === weight;
    const next = restoring ? original! : withWeight(file.bytes, located, weight);
    try {
      await applyAndReload(transport, {
        conf: confPath,
        bytes: next,
        fromSha256: sha256(file.bytes),
        pid: file.process.pid,
        ...(original === undefined ? { backup } : {}),
      });
    } catch (err) {
      // The file was replaced but keepalived not told: what to put back is known all the same.
      if (err instanceof ApplyError && err.step === 76) {
        original ??= file.bytes;
        written = next;
      }
      if (err instanceof ApplyError && err.step === 72) {
        throw new DriverError(
          `keepalived --config-test rejects ${confPath} with weight ${weight} for ${formatHostPort(real)}; nothing was changed and keepalived was not reloaded: ${err.said}`,
          err.said,
        );
      }
      throw err;
    }
    original ??= file.bytes;
    written = next;
    await waitForIpvs(service, real, weight, `the reload (kill -HUP ${file.process.pid})`);
  }

  async function setByTrackFile(service: ServiceRef, real: RealServerRef, weight: number): Promise<void> {
    const file = await read();
    const { located, track } = locate(file, service, real);
    await checkService(file, service);
    const path = track!.path;
    const current = await readBytes(transport, path);
    if (trackWritten !== undefined && current !== trackWritten) {
      throw new DriverError(`${path} was changed by someone else since this run wrote it: not overwriting it`);
    }
    let next: string | undefined;
    if (weight === 0) next = '1\n';
    else if (weight === located.value) next = trackOriginal ? (trackOriginal.bytes ?? '0\n') : current;
    else {
      throw new DriverError(
        `a drain by track file takes ${formatHostPort(real)} to 0 and back to its written weight ${located.value}, not to ${weight}`,
      );
    }
    if (next !== undefined && next !== current) {
      trackOriginal ??= { bytes: current };
      // keepalived watches the file (inotify) and reads it when it is closed after writing: no reload.
      const r = await sh(transport, 'base64 -d > "$1"', [path], toBase64(next));
      if (r.exitCode !== 0) throw new DriverError(`cannot write ${path}: ${r.stderr.trim()}`);
      trackWritten = next;
    }
    await waitForIpvs(service, real, weight, `writing ${path}`);
  }

  return {
    name: 'keepalived',
    description: o.trackFile
      ? `keepalived track_file ${o.trackFile} (${confPath}) via ${transport.description}`
      : `keepalived (${confPath}, reload by SIGHUP) via ${transport.description}`,

    // keepalived programs IPVS: the kernel's connection table names each connection's server.
    connectionTable: ipvs.connectionTable!,
    listConnections: ipvs.listConnections!,

    async inspect(service): Promise<DirectorState> {
      const state = await ipvs.inspect(service);
      const file = await read(true);
      await checkService(file, service);
      if (file.rejected !== undefined) {
        throw new DriverError(
          `${confPath} does not pass keepalived --config-test as it is, so no edit of it can be tested (nothing was changed): ${file.rejected}`,
          file.rejected,
        );
      }
      const p = file.process;
      return {
        ...state,
        raw: `${state.raw ?? ''}# ${file.version || 'keepalived'}, pid ${p.pid}: ${p.argv.join(' ')}\n`,
      };
    },

    async getWeight(service, real) {
      locate(await read(), service, real);
      return ipvsWeight(service, real);
    },

    async setWeight(service, real, weight) {
      if (o.trackFile) await setByTrackFile(service, real, weight);
      else await setByWeight(service, real, weight);
    },

    manualCommand(_service, _real, weight) {
      if (o.trackFile) {
        const path = lastLocated?.track?.path ?? `the file of track_file ${o.trackFile}`;
        return remote(`printf '${weight === 0 ? 1 : 0}\\n' > ${shellQuote(path)}`);
      }
      const reload = `keepalived --config-test -f ${shellQuote(confPath)} && kill -HUP "$(cat ${shellQuote(pidFile)})"`;
      const line = lastLocated?.located.weight.line;
      const edit = line
        ? shellJoin(['sed', '-i', `${line}s/weight[[:space:]][[:space:]]*[0-9][0-9]*/weight ${weight}/`, confPath])
        : `edit the weight of the real server in ${shellQuote(confPath)} to ${weight}`;
      return remote(`${edit} && ${reload}`);
    },
  };
}
