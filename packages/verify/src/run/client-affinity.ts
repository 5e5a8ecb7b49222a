/**
 * Does the director keep a client on one server? Hashing schedulers and persistence send every
 * connection from one client address to one server: from a single address nothing spreads, and a
 * drain can neither be shown nor disproved. Read from the director's own state (pure).
 */
import type { DirectorState } from '@lvs-drain-kit/drivers';

export interface ClientAffinity {
  /**
   * `source`: one server per client address — several client addresses test it. `destination`: one
   * server per service address — no client can spread it.
   */
  kind: 'source' | 'destination';
  /** For people: what keeps a client on one server. */
  reason: string;
  /** Template timeout of a persistent service (s): templates outlive weight 0. */
  persistent?: number;
  /** Where a drained server's clients get no server at all: why, and the flag that changes it. */
  refusesDrained?: string;
}

/** The -b flag with which an IPVS hashing scheduler sends a drained server's clients elsewhere. */
const FALLBACK: Readonly<Record<string, string>> = { sh: 'sh-fallback', mh: 'mh-fallback' };

/** IPVS schedulers that hash the client's address (ip_vs_sh, ip_vs_mh). */
const BY_SOURCE = new Set(['sh', 'mh']);
/** IPVS schedulers that pick by the destination address (ip_vs_dh, ip_vs_lblc, ip_vs_lblcr). */
const BY_DESTINATION = new Set(['dh', 'lblc', 'lblcr']);

export function clientAffinity(d: Pick<DirectorState, 'scheduler' | 'persistent'>): ClientAffinity | undefined {
  const s = d.scheduler ?? '';
  const persistent = d.persistent !== undefined ? { persistent: d.persistent } : {};
  if (BY_DESTINATION.has(s)) {
    return {
      kind: 'destination',
      reason: `scheduler ${s} picks the server by the destination address: every connection to one VIP goes to one server`,
      ...persistent,
    };
  }
  if (BY_SOURCE.has(s) || /\bsaddr\b/.test(s)) {
    if (FALLBACK[s]) {
      return {
        kind: 'source',
        reason: `scheduler ${s} picks the server by the client's address`,
        refusesDrained: `${s} refuses the clients hashed to a weight-0 server unless it falls back (ipvsadm -b ${FALLBACK[s]})`,
        ...persistent,
      };
    }
    return { kind: 'source', reason: `scheduler ${s} picks the server by the client's address`, ...persistent };
  }
  if (d.persistent !== undefined) {
    return {
      kind: 'source',
      reason: `persistent service (${d.persistent} s): a client's new connections follow its template to one server`,
      ...persistent,
    };
  }
  return undefined;
}

/** Client addresses a run needs: persistence keeps three groups apart (old, new, return) of two at least; hashing needs two. */
export function sourcesNeeded(a: ClientAffinity): number {
  return a.persistent !== undefined ? 6 : 2;
}
