/**
 * Who served a connection: the service's answers, the director's connection table, or both — then every
 * connection is attributed twice and each disagreement is recorded, a check of the verifier itself.
 * `openIdentified` wraps a probe's connection so that every exchange the run sees names its server.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import type { RealServerRef } from '@lvs-drain-kit/drivers';
import { EnvironmentError } from '../errors.js';
import type { AskOptions, ConnectTarget, Dead, Exchange, Probe, ProbeConnection, ProbeSession } from './connection.js';
import type { DirectorTable } from './director-table.js';

export type IdentityMode = 'director' | 'service' | 'both';
export const IDENTITY_MODES: readonly IdentityMode[] = ['director', 'service', 'both'];

/** Where a run's identity comes from: the mode and, for people, what each source reads. */
export interface IdentityPlan {
  mode: IdentityMode;
  /** e.g. `ipvsadm -L -n -c`. */
  director?: string;
  /** e.g. `header X-Served-By`. */
  service?: string;
}

/** What both sources said about one connection, when they differ. */
export interface Disagreement {
  /** The verifier's address:port, as the director lists the client. */
  client: string;
  /** The director's server ('' when it did not list the connection). */
  director: string;
  service: string;
  /** Since the drain (negative before it). */
  atMs: number;
}

/** Connections attributed by both sources, and where they disagreed. */
export class IdentityLedger {
  crossChecked = 0;
  readonly disagreements: Disagreement[] = [];

  constructor(private readonly clock: () => number) {}

  compare(client: string, director: string | undefined, service: string): void {
    this.crossChecked++;
    if (director !== service)
      this.disagreements.push({ client, director: director ?? '', service, atMs: this.clock() });
  }
}

/** The director does not list a connection whose server only it can name. */
export class IdentityError extends EnvironmentError {
  override name = 'IdentityError';
}

/** What an identified connection needs from the run. */
export interface IdentitySources {
  plan: IdentityPlan;
  /** Set unless the mode is `service`. */
  table?: DirectorTable;
  ledger: IdentityLedger;
  /** The name of the real server at an address (the run's names), or the address itself. */
  nameOf(server: RealServerRef): string;
  /** How long the director may take to list a new connection. */
  lookupMs: number;
  /** Under `director`, an old connection's server is read again at most this often (0: never). */
  recheckMs: number;
}

/**
 * Opens a connection through `probe` and, unless identity comes from the service alone, reads its
 * server from the director right away — while it is surely in the table.
 */
export async function openIdentified(
  probe: Probe,
  target: ConnectTarget,
  ids: IdentitySources,
): Promise<ProbeConnection> {
  const session = await probe.open(target);
  if (!ids.table) return new IdentifiedConnection(session, undefined, ids);
  const client = { host: session.localAddress ?? '', port: session.localPort };
  const now = performance.now();
  const server = await ids.table.serverOf(client, now, now + ids.lookupMs).catch((err: unknown) => {
    session.destroy();
    throw err;
  });
  if (!server && ids.plan.mode === 'director') {
    session.destroy();
    throw new IdentityError(
      `the director's table (${ids.plan.director}) does not list the connection from ${formatHostPort(client)} to ${formatHostPort(target)} within ${ids.lookupMs} ms: which server holds it cannot be known (does this director carry the VIP?)`,
    );
  }
  return new IdentifiedConnection(session, server ? ids.nameOf(server) : undefined, ids);
}

class IdentifiedConnection implements ProbeConnection {
  readonly #session: ProbeSession;
  /** The server the director named at the open (undefined under `service`, or not listed under `both`). */
  readonly #director: string | undefined;
  readonly #ids: IdentitySources;
  #compared = false;
  #lastCheck = performance.now();

  constructor(session: ProbeSession, director: string | undefined, ids: IdentitySources) {
    this.#session = session;
    this.#director = director;
    this.#ids = ids;
  }

  get connectMs(): number {
    return this.#session.connectMs;
  }
  get localPort(): number {
    return this.#session.localPort;
  }
  get localAddress(): string | undefined {
    return this.#session.localAddress;
  }
  get dead(): Dead | undefined {
    return this.#session.dead;
  }

  async ask(
    label: string,
    expectedHost: string | undefined,
    timeoutMs: number,
    options?: AskOptions,
  ): Promise<Exchange> {
    const mode = this.#ids.plan.mode;
    if (mode === 'director') return this.#askDirector(label, expectedHost, timeoutMs, options);
    const ex = await this.#session.ask(label, expectedHost, timeoutMs, options);
    const host = ex.host;
    if (mode === 'both' && !this.#compared && host !== undefined) {
      this.#compared = true;
      this.#ids.ledger.compare(this.#client(), this.#director, host);
    }
    if (ex.ok && host === undefined) {
      return { ok: false, class: 'garbled', detail: 'the answer names no server' };
    }
    return ex as Exchange;
  }

  /** The server is the director's; an old connection's is read again now and then, to catch a move. */
  async #askDirector(
    label: string,
    expectedHost: string | undefined,
    timeoutMs: number,
    options?: AskOptions,
  ): Promise<Exchange> {
    const ex = await this.#session.ask(label, undefined, timeoutMs, options);
    const host = this.#director!;
    if (!ex.ok) return { ...ex, host };
    const table = this.#ids.table!;
    if (
      expectedHost !== undefined &&
      this.#ids.recheckMs > 0 &&
      performance.now() - this.#lastCheck >= this.#ids.recheckMs
    ) {
      this.#lastCheck = performance.now();
      const now = performance.now();
      const server = await table.serverOf(
        { host: this.localAddress ?? '', port: this.localPort },
        now - this.#ids.recheckMs,
        now,
      );
      const name = server ? this.#ids.nameOf(server) : undefined;
      if (name !== undefined && name !== expectedHost) {
        return {
          ok: false,
          class: 'wrong-host',
          detail: `the director now sends this connection to ${name}`,
          host: name,
        };
      }
    }
    if (expectedHost !== undefined && host !== expectedHost) {
      return { ok: false, class: 'wrong-host', detail: `held by ${host}, expected ${expectedHost}`, host };
    }
    return { ok: true, host, rttMs: ex.rttMs };
  }

  #client(): string {
    return formatHostPort({ host: this.localAddress ?? '?', port: this.localPort });
  }

  shutdown(timeoutMs: number): Promise<void> {
    return this.#session.shutdown(timeoutMs);
  }

  destroy(): void {
    this.#session.destroy();
  }
}

/** Why a run cannot know which server holds its connections (preflight refuses it, exit 3). */
export class IdentityPlanError extends Error {
  override name = 'IdentityPlanError';
}

const CAN_LIST = 'ipvsadm, haproxy, nft and builtin can';
const CAN_NAME =
  '--probe line names it (rs-server, or --identity-regex), --probe http with --identity-header or --identity-regex';

/**
 * The identity a run gets: `requested`, or by default both sources where both exist (each connection
 * then cross-checked), else the one that exists. `table` is what the driver lists connections with,
 * undefined where it cannot.
 */
export function planIdentity(
  requested: IdentityMode | undefined,
  probe: { probe: string; names: boolean },
  driver: { driver: string; table: string | undefined },
): IdentityPlan {
  const director = driver.table;
  const noService = `the ${probe.probe} probe's answers name no server (${CAN_NAME})`;
  const noDirector = `the ${driver.driver} driver cannot list the director's connections (${CAN_LIST})`;
  const mode: IdentityMode | undefined =
    requested ?? (probe.names && director ? 'both' : probe.names ? 'service' : director ? 'director' : undefined);
  if (mode === undefined)
    throw new IdentityPlanError(`no way to know which real server holds a connection: ${noService}, and ${noDirector}`);
  if (mode !== 'director' && !probe.names) throw new IdentityPlanError(`--identity ${mode}: ${noService}`);
  if (mode !== 'service' && !director) throw new IdentityPlanError(`--identity ${mode}: ${noDirector}`);
  return { mode, ...(mode !== 'service' ? { director } : {}) };
}
