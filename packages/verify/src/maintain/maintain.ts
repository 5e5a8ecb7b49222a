/**
 * `lvs-verify maintain`: every real server in turn — drain, wait until empty, the work, healthy, back,
 * new connections reach it again — with live traffic through the VIP the whole time as the proof that
 * no client noticed. The run stops at the first server that fails a step or at the first failed
 * request, after that server is back; whatever is drained when a signal arrives is put back first.
 */
import { formatDuration, formatHostPort } from '@lvs-drain-kit/common';
import type { DirectorState } from '@lvs-drain-kit/drivers';
import type { MaintainReport } from '../report/maintain-types.js';
import { PreflightError } from '../run/preflight.js';
import { VERSION } from '../version.js';
import { MaintainRun } from './context.js';
import { type MaintainOptions, resolveMaintainOptions } from './options.js';
import { maintainPreflight } from './preflight.js';
import { Sampler } from './sampler.js';
import { maintainServer } from './server.js';

/** Runs the maintenance and always returns a report; no server is left drained by accident. */
export async function runMaintain(options: MaintainOptions): Promise<MaintainReport> {
  const o = resolveMaintainOptions(options);
  const run = new MaintainRun(o);
  const startedAt = new Date();
  let director: DirectorState | undefined;
  let error: MaintainReport['error'];
  const preflight: MaintainReport['preflight'] = { status: 'fail', message: 'not run' };
  let sampler: Sampler | undefined;
  let current: string | undefined;
  try {
    run.throwIfAborted();
    const pre = await maintainPreflight(run);
    director = pre.director;
    sampler = new Sampler({
      vip: o.vip,
      rate: o.rate,
      longLived: o.longLived,
      maxAgeMs: o.maxAgeMs,
      intervalMs: o.intervalMs,
      timeoutMs: o.timeoutMs,
      servers: [...pre.names.values()],
      t0: run.t0,
      onFailure: (f) =>
        run.progress('sampler', 'warn', `${f.connection} ${f.class}${f.server ? ` on ${f.server}` : ''}: ${f.detail}`),
    });
    run.progress(
      'sampler',
      'start',
      `${o.rate} new connections/s and ${o.longLived} long-lived ones (a request every ${formatDuration(o.intervalMs)}, reconnecting after ${formatDuration(o.maxAgeMs)}) through ${formatHostPort(o.vip)}`,
    );
    sampler.start();
    await sampler.warmUp(1000, Math.max(2000, 2 * o.timeoutMs));
    run.throwIfAborted();
    const warm = sampler.snapshot();
    if (warm.failed > 0) {
      throw new PreflightError(
        `before anything was changed, ${warm.failed} of ${warm.sent} requests through ${formatHostPort(o.vip)} failed: the service must be healthy before a maintenance`,
      );
    }
    preflight.status = 'pass';
    preflight.message = `${pre.names.size} real servers answer (${[...pre.names].map(([a, n]) => `${n}=${a}`).join(', ')}); the director and its connection counts are readable; ${run.servers.length} to maintain; ${warm.sent} requests before the first drain, none failed`;
    run.progress('preflight', 'note', `PASS — ${preflight.message}`);
    for (const s of run.servers) {
      current = s.name;
      if (!(await maintainServer(run, sampler, s))) break;
      current = undefined;
      const failed = sampler.snapshot().failed;
      if (failed > 0 && s !== run.servers.at(-1)) {
        run.progress('sampler', 'warn', `${failed} requests failed so far: not going on to the next server`);
        break;
      }
    }
  } catch (err) {
    error = run.errorOf(err);
    if (current) error.server = current;
    if (preflight.status !== 'pass') preflight.message = error.message;
  } finally {
    await sampler?.stop();
  }
  // A weight that could not go back outranks whatever stopped the run: it is what the operator must act on.
  const unrestored = run.servers.find((s) => s.restore.error !== undefined);
  if (unrestored) {
    error = {
      type: 'RestoreError',
      message: `restore of ${unrestored.name} failed: ${unrestored.restore.error}`,
      beforeDrain: false,
      server: unrestored.name,
    };
  }
  const samplerReport = sampler?.report() ?? new Sampler({ ...o, servers: [], t0: run.t0 }).report();
  const failed = run.servers.some((s) => s.status !== 'done') || samplerReport.requests.failed > 0;
  return {
    tool: 'lvs-verify',
    command: 'maintain',
    version: VERSION,
    verdict: error ? 'error' : failed ? 'fail' : 'pass',
    ...(error ? { error } : {}),
    startedAt: startedAt.toISOString(),
    durationMs: run.now(),
    vip: formatHostPort(o.vip),
    driver: { name: o.driver.name, description: o.driver.description },
    ...(director ? { director } : {}),
    settings: {
      ...(o.exec ? { exec: o.exec } : {}),
      waitEmpty: o.waitEmpty,
      drainTimeoutMs: o.drainTimeoutMs,
      onTimeout: o.onTimeout,
      minServing: o.minServing,
      healthyTimeoutMs: o.healthyTimeoutMs,
      restoreTimeoutMs: o.restoreTimeoutMs,
      execTimeoutMs: o.execTimeoutMs,
      timeoutMs: o.timeoutMs,
      pollMs: o.pollMs,
    },
    preflight,
    servers: run.servers,
    sampler: samplerReport,
  };
}
