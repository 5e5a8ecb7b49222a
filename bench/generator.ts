/**
 * Drives the load generator processes: the C epoll loop in loadgen.c, built here
 * with the machine's cc, or the Node fallback with the same protocol when there is no cc.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { machineTaskCpuNs, treeCpuNs } from './proc.js';

export type LoadMode = 'rt' | 'hold' | 'connect';

export interface Generator {
  /** "c (cc -O2)" or "node fallback". */
  kind: string;
  argv(mode: LoadMode, port: number, conns: number, sources: string[], timeoutMs: number, ramp: number): string[];
  dispose(): void;
}

/** The generator protocol's arguments, the same for the C and the Node generator. */
function loadArgs(...[mode, port, conns, sources, timeoutMs, ramp]: Parameters<Generator['argv']>): string[] {
  return [mode, '127.0.0.1', String(port), String(conns), sources.join(','), String(timeoutMs), String(ramp)];
}

/** Builds the C generator; falls back to the Node one when cc is missing or fails. */
export function prepareGenerator(preferNode = false): Generator {
  const fallback = fileURLToPath(new URL('./loadgen-fallback.ts', import.meta.url));
  const nodeGen: Generator = {
    kind: 'node fallback',
    argv: (...a) => [process.execPath, '--import', 'tsx', fallback, ...loadArgs(...a)],
    dispose: () => {},
  };
  if (preferNode) return nodeGen;
  const dir = mkdtempSync(join(tmpdir(), 'lvs-bench-'));
  const bin = join(dir, 'loadgen');
  try {
    execFileSync('cc', ['-O2', '-o', bin, fileURLToPath(new URL('./loadgen.c', import.meta.url))], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no cc' : 'cc failed';
    process.stderr.write(`bench: ${why}; using the slower Node load generator\n`);
    return nodeGen;
  }
  return {
    kind: 'c (cc -O2, epoll)',
    argv: (...a) => [bin, ...loadArgs(...a)],
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface ReadyEvent {
  event: 'ready';
  connected: number;
  failed: number;
}
interface MeasuringEvent {
  event: 'measuring';
}
interface ResultEvent {
  event: 'result';
  completed: number;
  elapsedNs: number;
  cpuNs: number;
  errors: number;
  connectErrors: number;
  open: number;
  hist: Array<[number, number]>;
}

class GenProcess {
  readonly child: ChildProcess;
  readonly #events: Array<ReadyEvent | MeasuringEvent | ResultEvent> = [];
  readonly #waiters: Array<() => void> = [];
  #stderr = '';
  #exited = false;

  constructor(argv: string[]) {
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin!.on('error', () => {}); // it may be gone already; its exit is what counts
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.#stderr += d;
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.#events.push(JSON.parse(line) as ReadyEvent | MeasuringEvent | ResultEvent);
      this.#wake();
    });
    this.child.on('exit', () => {
      this.#exited = true;
      this.#wake();
    });
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  async next<E extends ReadyEvent | MeasuringEvent | ResultEvent>(kind: E['event']): Promise<E> {
    for (;;) {
      const i = this.#events.findIndex((e) => e.event === kind);
      if (i >= 0) return this.#events.splice(i, 1)[0] as E;
      if (this.#exited) throw new Error(`load generator ended without "${kind}": ${this.#stderr.trim()}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  send(line: string) {
    this.child.stdin!.write(`${line}\n`);
  }

  kill() {
    if (!this.#exited) this.child.kill('SIGKILL');
  }
}

export interface LoadOptions {
  generator: Generator;
  port: number;
  connections: number;
  processes: number;
  sources: string[];
  warmupMs: number;
  measureMs: number;
  /** Bound on setting up the connections. */
  timeoutMs: number;
  /** Connections set up at once: at most the server's accept backlog. */
  ramp: number;
  /**
   * Registers the closing of the connections, to be run once the server is
   * stopped: a server must not be measured (or left spinning) on a mass of closes.
   */
  defer(close: () => void): void;
  /** Its CPU time is measured over the same window. */
  serverPid: number;
}

export interface LoadResult {
  connected: number;
  completed: number;
  elapsedNs: number;
  /** The generators' own CPU time over the window (all processes). */
  generatorCpuNs: number;
  serverCpuNs: number;
  /** Other processes' CPU time meanwhile: other work on the machine, i.e. noise. */
  otherCpuNs: number;
  errors: number;
  histogram: hdr.Histogram;
}

function split(total: number, parts: number): number[] {
  const n = Math.max(1, Math.min(parts, total));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** Each process gets its own slice of the source addresses, so their port ranges do not meet. */
function sourcesFor(i: number, n: number, sources: string[]): string[] {
  if (sources.length < n) return sources;
  return sources.filter((_, k) => k % n === i);
}

/** Closed-loop round trips ("rt") or connection churn ("connect") over one measured window. */
export async function runLoad(mode: 'rt' | 'connect', o: LoadOptions): Promise<LoadResult> {
  const shares = split(o.connections, o.processes);
  const procs = shares.map(
    (n, i) =>
      new GenProcess(o.generator.argv(mode, o.port, n, sourcesFor(i, shares.length, o.sources), o.timeoutMs, o.ramp)),
  );
  const close = () => {
    for (const p of procs) p.kill();
  };
  try {
    const ready = await Promise.all(procs.map((p) => p.next<ReadyEvent>('ready')));
    for (const p of procs) p.send(`go ${o.warmupMs} ${o.measureMs}`);
    await procs[0]!.next<MeasuringEvent>('measuring');
    const cpu0 = treeCpuNs(o.serverPid);
    const busy0 = machineTaskCpuNs();
    const results = await Promise.all(procs.map((p) => p.next<ResultEvent>('result')));
    const serverCpuNs = treeCpuNs(o.serverPid) - cpu0;
    const busyNs = machineTaskCpuNs() - busy0;
    const histogram = hdr.build({ numberOfSignificantValueDigits: 3 });
    for (const r of results) for (const [ns, count] of r.hist) histogram.recordValueWithCount(Math.max(1, ns), count);
    const generatorCpuNs = results.reduce((s, r) => s + r.cpuNs, 0);
    return {
      connected: ready.reduce((s, r) => s + r.connected, 0),
      completed: results.reduce((s, r) => s + r.completed, 0),
      elapsedNs: Math.max(...results.map((r) => r.elapsedNs)),
      generatorCpuNs,
      serverCpuNs,
      otherCpuNs: Math.max(0, busyNs - generatorCpuNs - serverCpuNs),
      errors: results.reduce((s, r) => s + r.errors + r.connectErrors, 0),
      histogram,
    };
  } catch (err) {
    close();
    throw err;
  } finally {
    o.defer(close);
  }
}

export interface HeldConnections {
  connected: number;
  failed: number;
  /** Ends the hold: how many are still open (none closed by the server). They stay open until `defer`. */
  stillOpen(): Promise<number>;
}

/** Opens `connections` connections, one line each, and keeps them open and idle. */
export async function holdConnections(
  o: Pick<LoadOptions, 'generator' | 'port' | 'connections' | 'processes' | 'sources' | 'timeoutMs' | 'ramp' | 'defer'>,
): Promise<HeldConnections> {
  const shares = split(o.connections, o.processes);
  const procs = shares.map(
    (n, i) =>
      new GenProcess(o.generator.argv('hold', o.port, n, sourcesFor(i, shares.length, o.sources), o.timeoutMs, o.ramp)),
  );
  o.defer(() => {
    for (const p of procs) p.kill();
  });
  const ready = await Promise.all(procs.map((p) => p.next<ReadyEvent>('ready')));
  return {
    connected: ready.reduce((s, r) => s + r.connected, 0),
    failed: ready.reduce((s, r) => s + r.failed, 0),
    async stillOpen() {
      for (const p of procs) p.send('end');
      const results = await Promise.all(procs.map((p) => p.next<ResultEvent>('result')));
      return results.reduce((s, r) => s + r.open, 0);
    },
  };
}
