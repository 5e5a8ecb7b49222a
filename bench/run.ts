/**
 * npm run bench [-- --quick] — rs-server against the Java seed server and a
 * minimal Node server, side by side on loopback, in one run.
 * See `npm run bench -- --help`.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { drainAtScale } from './drain.js';
import { prepareGenerator } from './generator.js';
import { htmlReports } from './html.js';
import { labStarts } from './lab-start.js';
import { fileLimit, javaSeed, javaStatus, nodeFloor, type PeerSpec, rsServer } from './peers.js';
import { type BenchReport, renderReport, writeReport } from './report.js';
import { type BenchContext, connectRate, idleMemory, type RoundTripPoint, roundTrips, startTime } from './scenarios.js';
import { type BenchResults, checkTargets } from './targets.js';

const CONNECT_BURST = 128;
const SECTIONS = ['rt', 'workers', 'idle', 'max', 'connect', 'start', 'html', 'drain', 'lab'] as const;
/** `drain` and `lab` need root and real labs: only on request. */
const DEFAULT_SECTIONS = SECTIONS.filter((s) => s !== 'drain' && s !== 'lab');
type Section = (typeof SECTIONS)[number];

const HELP = `usage: npm run bench -- [options]

  --quick                 2 s per point, 20,000 for the most idle connections (about 2.5 minutes;
                          the full run takes about 4)
  --duration <seconds>    measured seconds per point (default 5)
  --only <sections>       comma list of ${SECTIONS.join(',')} (default: all but drain and lab)
  --drain                 only drain-test --lab nft --connections 10000 (root): time to verdict,
                          memory, event-loop delay of every Node process (same as --only drain)
  --lab-start             only the warm start of the ipvs and keepalived labs (root): lab up to
                          ready, 3 runs each, taking turns (same as --only lab)
  --log-sink <path>       where every server's stdout (per-line log) goes (default /dev/null)
  --max-connections <n>   idle connections to try on one rs-server (default 100000)
  --workers <n>           rs-server --workers figure (default: core count, at least 2)
  --generators <n>        load generator processes (default: half the cores, at least 1)
  --node-generator        use the Node load generator even when cc is there
  --no-java               leave out the Java seed server
  --results <dir>         where the JSON goes (default bench/results)

Sends traffic only to 127.0.0.0/8. Raising the file limit past the hard limit needs root;
without it, fewer idle connections are possible and the bench says how many it got.`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    only: { type: 'string' },
    'log-sink': { type: 'string', default: '/dev/null' },
    'max-connections': { type: 'string' },
    workers: { type: 'string' },
    generators: { type: 'string' },
    'node-generator': { type: 'boolean', default: false },
    'no-java': { type: 'boolean', default: false },
    drain: { type: 'boolean', default: false },
    'lab-start': { type: 'boolean', default: false },
    results: { type: 'string', default: fileURLToPath(new URL('./results', import.meta.url)) },
    help: { type: 'boolean', default: false },
  },
});

function whole(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    process.stderr.write(`bench: --${name} must be a whole number ≥ 1, got "${v}"\n`);
    process.exit(2);
  }
  return Number(v);
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const only = new Set<Section>(
    (values.drain
      ? ['drain']
      : values['lab-start']
        ? ['lab']
        : (values.only?.split(',') ?? DEFAULT_SECTIONS)) as Section[],
  );
  for (const s of only) {
    if (!SECTIONS.includes(s)) {
      process.stderr.write(`bench: unknown section "${s}" (known: ${SECTIONS.join(', ')})\n`);
      process.exit(2);
    }
  }
  const quick = values.quick;
  const cores = cpus().length;
  const measureMs = whole('duration', values.duration, quick ? 2 : 5) * 1000;
  const maxConnections = whole('max-connections', values['max-connections'], quick ? 20_000 : 100_000);
  const workers = whole('workers', values.workers, Math.max(2, cores));
  const processes = whole('generators', values.generators, Math.max(1, Math.floor(cores / 2)));
  if (!existsSync(RS_SERVER_BIN.replace(/bin\/rs-server\.js$/, 'dist/cli.js'))) {
    process.stderr.write('bench: rs-server is not built; run `npm run build` first\n');
    process.exit(2);
  }

  const notes: string[] = [];
  const java = values['no-java'] ? { missing: '--no-java' } : javaStatus();
  if ('missing' in java) notes.push(`Java seed server left out: ${java.missing}`);
  const peers: PeerSpec[] = [rsServer(), ...('version' in java ? [javaSeed] : []), nodeFloor];

  const loadAtStart = loadavg()[0] ?? 0;
  if (loadAtStart > 0.5) {
    notes.push(`load average ${loadAtStart.toFixed(2)} at start: other work on this machine makes figures noisy`);
  }
  const generator = prepareGenerator(values['node-generator']);
  const started = Date.now();
  const ctx: BenchContext = {
    generator,
    sink: values['log-sink'],
    processes,
    fileLimit: fileLimit(),
    warmupMs: quick ? 500 : 1000,
    measureMs,
    progress: (m) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${m}\n`),
  };
  const results: BenchResults = {
    roundTrips: [],
    workers: [],
    idleMemory: [],
    maxIdle: undefined,
    connectRate: [],
    startTime: [],
    drain: undefined,
    htmlReports: [],
    labStart: [],
  };

  // Each measurement is independent: one that fails is noted and the run goes on.
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      notes.push(`${what} failed: ${(err as Error).message}`);
      ctx.progress(`${what} failed: ${(err as Error).message}`);
      return undefined;
    }
  };
  const push = <T>(list: T[], x: T | undefined) => x !== undefined && list.push(x);

  try {
    if (only.has('rt')) {
      for (const conns of [1, 100, 1000, 10_000]) {
        for (const peer of peers) {
          push(results.roundTrips, await attempt(`${peer.label} at ${conns}`, () => roundTrips(ctx, peer, conns)));
        }
      }
    }
    if (only.has('workers')) {
      for (const conns of [1000, 10_000]) {
        const p = await attempt(`workers at ${conns}`, () => roundTrips(ctx, rsServer(workers), conns));
        push<RoundTripPoint>(results.workers, p);
      }
    }
    if (only.has('idle')) {
      for (const peer of peers) {
        push(results.idleMemory, await attempt(`idle ${peer.label}`, () => idleMemory(ctx, peer, 10_000)));
      }
    }
    if (only.has('max')) {
      // One process cannot hold more connections than its file limit: past it, use enough workers.
      const need = Math.ceil(maxConnections / (ctx.fileLimit - 1000));
      if (need > 1) {
        notes.push(
          `file limit ${ctx.fileLimit} per process (raising it needs CAP_SYS_RESOURCE): ` +
            `the most idle connections are held by rs-server --workers ${need}`,
        );
      }
      const spec = need > 1 ? rsServer(need) : rsServer();
      results.maxIdle = await attempt('most idle connections', () => idleMemory(ctx, spec, maxConnections));
    }
    if (only.has('connect')) {
      // 128 at a time is a burst past the Java seed's accept backlog of 50, as clients behind a balancer make;
      // 32 at a time stays under it.
      for (const concurrency of [CONNECT_BURST, 32]) {
        const list = concurrency === CONNECT_BURST ? [...peers, rsServer(workers), rsServer(workers, 'kernel')] : peers;
        for (const peer of list) {
          const p = await attempt(`connect ${peer.label}`, () => connectRate(ctx, peer, concurrency));
          push(results.connectRate, p);
        }
      }
    }
    if (only.has('start')) {
      const runs = quick ? 3 : 7;
      push(results.startTime, startTime('rs-server --help', [process.execPath, RS_SERVER_BIN, '--help'], runs));
      const verify = fileURLToPath(new URL('../packages/verify/bin/lvs-verify.js', import.meta.url));
      if (existsSync(verify.replace(/bin\/lvs-verify\.js$/, 'dist/cli.js'))) {
        const p = await attempt('lvs-verify --help', async () =>
          startTime('lvs-verify --help', [process.execPath, verify, '--help'], runs),
        );
        push(results.startTime, p);
      } else {
        notes.push('lvs-verify is not built: its start time was not measured');
      }
    }
    if (only.has('html')) {
      ctx.progress('HTML report at 2 … 10,000 old connections');
      const points = await attempt('html report', () => htmlReports([2, 100, 1000, 10_000], quick ? 1 : 3));
      if (points) results.htmlReports = points;
    }
    if (only.has('drain')) {
      ctx.progress('drain-test --lab nft --connections 10000');
      results.drain = await attempt('drain-test at 10,000', () => drainAtScale(10_000));
    }
    if (only.has('lab')) {
      const points = await attempt('lab warm start', () => labStarts(['ipvs', 'keepalived'], 3, ctx.progress));
      if (points) results.labStart = points;
    }
  } finally {
    generator.dispose();
  }

  const report: BenchReport = {
    ...results,
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: {
      cores,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      node: process.version,
      java: 'version' in java ? java.version : `no Java (${java.missing})`,
      generator: `${generator.kind}, ${processes} process(es)`,
      logSink: ctx.sink,
      loadAverageAtStart: loadAtStart,
    },
    settings: { measureMs, warmupMs: ctx.warmupMs, generatorProcesses: processes, quick },
    notes,
    targets: checkTargets(results),
  };
  process.stdout.write(`${renderReport(report)}\n`);
  // A drain-, html- or lab-only run has its own latest file, so that it does not replace the server figures.
  const alone = only.size === 1 ? [...only][0] : undefined;
  const prefix = alone === 'drain' || alone === 'html' || alone === 'lab' ? `${alone}-` : '';
  const file = writeReport(report, values.results, prefix);
  process.stdout.write(`\nwritten: ${file} (and ${prefix}latest.json), ${report.durationSeconds} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
