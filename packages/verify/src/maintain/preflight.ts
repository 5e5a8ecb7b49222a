/**
 * Before anything changes: the driver can read the director, including its connection counts; every
 * real server answers directly with its name; the servers to maintain are among them and may each be
 * drained now (capacity). Any refusal here is an environment verdict (exit 3).
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import type { DirectorState, RealServerRef } from '@lvs-drain-kit/drivers';
import { EnvironmentError } from '../errors.js';
import { PreflightError } from '../run/preflight.js';
import { checkCapacity } from './capacity.js';
import { type MaintainRun, newServerReport } from './context.js';
import { askDirectly } from './healthy.js';

export interface Preflight {
  director: DirectorState;
  /** Every real server's name, by `HOST:PORT`. */
  names: Map<string, string>;
}

export async function maintainPreflight(run: MaintainRun): Promise<Preflight> {
  const o = run.o;
  run.progress(
    'preflight',
    'start',
    `checking ${o.reals.length} real servers and the director (${o.driver.description})`,
  );
  const protocol = o.driver.protocol;
  if (protocol !== undefined && protocol !== 'tcp') {
    throw new PreflightError(
      `maintain's sampler speaks TCP only: it cannot prove the ${protocol.toUpperCase()} service ${formatHostPort(o.vip)} keeps its clients (${o.driver.description}); \`lvs-verify drain --wait\` and \`undrain\` work for it without the sampler`,
    );
  }
  if (!o.driver.connectionCounts) {
    throw new PreflightError(
      `${o.driver.description} cannot read connection counts: maintain waits until a drained server is empty, which needs --driver ipvsadm, haproxy, nft or builtin`,
    );
  }
  const names = await learnNames(run);
  const byName = new Map([...names].map(([address, name]) => [name, address]));
  const wanted = o.only?.length ? o.only : o.reals;
  for (const ref of wanted) {
    const address = typeof ref === 'string' ? byName.get(ref) : formatHostPort(ref);
    const real = o.reals.find((r) => formatHostPort(r) === address);
    if (!address || !real) {
      const known = [...names].map(([a, n]) => `${n}=${a}`).join(', ');
      throw new PreflightError(
        `--only ${typeof ref === 'string' ? ref : formatHostPort(ref)} is none of the real servers (${known})`,
      );
    }
    if (run.servers.some((s) => formatHostPort(s) === address)) continue;
    run.servers.push(newServerReport(names.get(address)!, real));
  }
  let director: DirectorState;
  try {
    director = await o.driver.inspect(run.service);
    await o.driver.connectionCounts.call(o.driver, run.service);
  } catch (err) {
    const msg = `cannot read the director (${o.driver.description}): ${err instanceof Error ? err.message : String(err)}`;
    throw err instanceof EnvironmentError ? err : new PreflightError(msg);
  }
  for (const w of director.warnings ?? []) run.progress('preflight', 'warn', w);
  // Every server now, so a refusal that is certain comes before the first drain, not halfway through.
  for (const s of run.servers) s.weight = checkCapacity(director, s, s.name, o.minServing);
  return { director, names };
}

/**
 * Asks every real server directly who it is. A server to maintain must answer (its health is checked
 * the same way before it is put back); another one that cannot be reached (NAT) is trusted by the name
 * given to it.
 */
async function learnNames(run: MaintainRun): Promise<Map<string, string>> {
  const o = run.o;
  const names = new Map<string, string>();
  for (const real of o.reals) {
    const where = formatHostPort(real);
    const r = await askDirectly(real, o.timeoutMs);
    let name: string;
    if ('host' in r) {
      if (real.name !== undefined && real.name !== r.host)
        run.progress(
          'preflight',
          'warn',
          `${where} calls itself "${r.host}", given as "${real.name}": using "${r.host}"`,
        );
      name = r.host;
    } else if (isTarget(run, real, real.name)) {
      throw new PreflightError(
        `cannot reach real server ${where} directly: ${r.error} (maintain asks a server directly whether it is healthy before it goes back)`,
      );
    } else if (real.name !== undefined) {
      run.progress(
        'preflight',
        'warn',
        `${where} is not reachable directly (${r.error}): trusting the name "${real.name}"`,
      );
      name = real.name;
    } else {
      throw new PreflightError(
        `cannot reach real server ${where} directly: ${r.error} (if only the director reaches it, as with NAT, give --real ${where}=NAME)`,
      );
    }
    const other = [...names].find(([, n]) => n === name);
    if (other)
      throw new PreflightError(
        `real servers ${other[0]} and ${where} both answer "${name}": replies could not tell them apart`,
      );
    names.set(where, name);
  }
  return names;
}

function isTarget(run: MaintainRun, real: RealServerRef, name: string | undefined): boolean {
  const only = run.o.only;
  if (!only?.length) return true;
  return only.some((ref) =>
    typeof ref === 'string' ? name === undefined || ref === name : formatHostPort(ref) === formatHostPort(real),
  );
}
