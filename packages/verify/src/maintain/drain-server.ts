/**
 * `lvs-verify drain [--wait]` and `lvs-verify undrain`: the two halves of a maintenance whose work is
 * done by hand (or by another tool) in between, with maintain's steps. `drain` leaves the server at
 * weight 0 on the journal (for `undrain` or `undo`), unless something goes wrong before it is done —
 * an error, a signal, a wait that times out with --on-timeout abort — which puts it back.
 */
import { formatHostPort, sameHostPort } from '@lvs-drain-kit/common';
import type { DrainDriver, DriverSpec, RealServerRef } from '@lvs-drain-kit/drivers';
import { UsageError } from '../errors.js';
import type { MaintainServerReport, ServerCommandReport } from '../report/maintain-types.js';
import { PreflightError } from '../run/preflight.js';
import { setWeightVerified } from '../run/set-weight-verified.js';
import { VERSION } from '../version.js';
import { CapacityError, checkCapacity } from './capacity.js';
import { MaintainRun, newServerReport } from './context.js';
import { askDirectly } from './healthy.js';
import { type MaintainOptions, resolveMaintainOptions, type WaitSettings } from './options.js';
import { firstAnswerFrom } from './return.js';
import { type Origin, putBack, waitEmpty } from './server.js';

export interface ServerCommandOptions {
  vip: RealServerRef;
  real: RealServerRef;
  /** Its name, where known (`--real HOST:PORT=NAME`); else learned by asking it. */
  name?: string;
  driver: DrainDriver;
  driverSpec?: DriverSpec;
  timeoutMs?: number;
  journalPath?: string;
  onProgress?: MaintainOptions['onProgress'];
  signal?: AbortSignal;
}

export interface DrainServerOptions extends ServerCommandOptions, Partial<WaitSettings> {
  /** Wait until the server is empty before returning. */
  wait?: boolean;
}

export interface UndrainServerOptions extends ServerCommandOptions {
  /** The weight to put back when the journal has no entry for the server. */
  weight?: number;
  healthyTimeoutMs?: number;
  restoreTimeoutMs?: number;
}

function start(o: ServerCommandOptions & Partial<MaintainOptions>) {
  const run = new MaintainRun(resolveMaintainOptions({ ...o, reals: [] }));
  const s = newServerReport(o.name ?? formatHostPort(o.real), o.real);
  return { run, s, startedAt: new Date() };
}

/** Drains one server (and waits until it is empty with `wait`); it stays drained, on the journal. */
export async function drainServer(options: DrainServerOptions): Promise<ServerCommandReport> {
  const { run, s, startedAt } = start(options);
  const o = run.o;
  let origin: Origin | undefined;
  let error: ServerCommandReport['error'];
  try {
    run.throwIfAborted();
    if (options.wait && !o.driver.connectionCounts) {
      throw new PreflightError(
        `${o.driver.description} cannot read connection counts: --wait needs --driver ipvsadm, haproxy, nft or builtin`,
      );
    }
    let started = performance.now();
    run.progress('capacity', 'start', `reading the director before draining ${s.name}`, s.name);
    try {
      s.weight = checkCapacity(await o.driver.inspect(run.service), s, s.name, o.minServing);
    } catch (err) {
      if (err instanceof CapacityError) {
        s.status = 'refused';
        run.step(s, 'capacity', 'fail', err.message, started);
      }
      throw err;
    }
    run.step(s, 'capacity', 'pass', `${s.name} has weight ${s.weight}; --min-serving ${o.minServing} holds`, started);
    started = performance.now();
    run.progress('drain', 'start', `setting ${s.name} (${formatHostPort(s)}) to weight 0`, s.name);
    const entry = await run.journalDrain(s, s.weight);
    origin = { weight: s.weight, entryId: entry.id };
    run.drainedAny = true;
    const applied = await setWeightVerified(o.driver, run.service, s, 0);
    s.timeline.drainedAtMs = run.now(applied.setAt);
    run.step(s, 'drain', 'pass', `weight ${s.weight} → 0, read back ${applied.readBack ?? 'n/a'}`, started);
    // Not empty in time with --on-timeout abort: `finally` puts it back.
    if (!options.wait || (await waitEmpty(run, s, applied.setAt))) {
      await run.journal.update(entry.id, { keptDrained: true });
      s.restore = {
        attempted: false,
        restored: false,
        manualCommand: o.driver.manualCommand(run.service, s, s.weight),
      };
      origin = undefined;
      s.status = 'done';
    }
  } catch (err) {
    error = run.errorOf(err);
  } finally {
    if (origin) await putBack(run, s, origin);
  }
  return commandReport('drain', run, s, startedAt, error);
}

/** Puts a drained server back once it answers as itself; new connections must reach it again. */
export async function undrainServer(options: UndrainServerOptions): Promise<ServerCommandReport> {
  const { run, s, startedAt } = start(options);
  const o = run.o;
  let error: ServerCommandReport['error'];
  try {
    run.throwIfAborted();
    const entry = (await run.journal.entries())
      .filter((e) => sameHostPort(e.vip, o.vip) && sameHostPort(e.real, s))
      .at(-1);
    const weight = entry?.originalWeight ?? options.weight;
    if (weight === undefined) {
      throw new UsageError(`the journal has no drain of ${s.name} in ${formatHostPort(o.vip)}: give --weight N`);
    }
    s.weight = weight;
    if (!options.name) {
      const who = entry?.name ? { host: entry.name } : await askDirectly(s, o.timeoutMs);
      if ('host' in who) s.name = who.host;
    }
    let started = performance.now();
    const health = await run.waitHealthy(s);
    if (!health.ok) {
      s.restore = { attempted: false, restored: false, leftDrained: true };
      run.step(
        s,
        'healthy',
        'fail',
        `${s.name} does not answer directly as itself (${health.last}): left drained`,
        started,
      );
      return commandReport('undrain', run, s, startedAt, error);
    }
    s.timeline.healthyAfterMs = health.afterMs;
    run.step(s, 'healthy', 'pass', `answered as ${s.name}`, started);
    run.drainedAny = true;
    const backAt = await putBack(run, s, { weight, ...(entry ? { entryId: entry.id } : {}) });
    if (backAt === undefined) return commandReport('undrain', run, s, startedAt, error);
    started = performance.now();
    run.progress(
      'new-connections-return',
      'start',
      `new connections through the VIP until one reaches ${s.name}`,
      s.name,
    );
    const after = await firstAnswerFrom(o.vip, s.name, {
      timeoutMs: o.restoreTimeoutMs,
      requestTimeoutMs: o.timeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (after === undefined) {
      run.step(s, 'new-connections-return', 'fail', `no new connection reached ${s.name} after the restore`, started);
      return commandReport('undrain', run, s, startedAt, error);
    }
    s.timeline.returnedAfterMs = after;
    run.step(s, 'new-connections-return', 'pass', `a new connection reached ${s.name} after ${after} ms`, started);
    s.status = 'done';
  } catch (err) {
    error = run.errorOf(err);
  }
  return commandReport('undrain', run, s, startedAt, error);
}

function commandReport(
  command: 'drain' | 'undrain',
  run: MaintainRun,
  s: MaintainServerReport,
  startedAt: Date,
  error: ServerCommandReport['error'],
): ServerCommandReport {
  const unrestored = s.restore.error !== undefined;
  const e = unrestored
    ? { type: 'RestoreError', message: `restore of ${s.name} failed: ${s.restore.error}`, beforeDrain: false }
    : error;
  return {
    tool: 'lvs-verify',
    command,
    version: VERSION,
    verdict: e ? 'error' : s.status === 'done' ? 'pass' : 'fail',
    ...(e ? { error: e } : {}),
    startedAt: startedAt.toISOString(),
    durationMs: run.now(),
    vip: formatHostPort(run.o.vip),
    driver: { name: run.o.driver.name, description: run.o.driver.description },
    server: s,
  };
}
