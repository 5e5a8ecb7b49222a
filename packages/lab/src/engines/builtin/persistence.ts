/**
 * Persistence templates as IPVS keeps them for a persistent service (`ipvsadm -A … -p SECONDS`): the
 * first connection of a client address makes a template naming its server; later connections from that
 * address go to the same server while the template lives — as long as connections it controls are open,
 * and SECONDS after the last one ended. A template whose server has weight 0 still sends clients there
 * unless net.ipv4.vs.expire_quiescent_template=1 (ip_vs_check_template).
 */
export interface Template<D> {
  dest: D;
  /** Connections made through it that are still open. */
  controlled: number;
  /** performance.now() when the last controlled connection ended. */
  idleSince: number;
}

export class PersistenceTemplates<D> {
  readonly #templates = new Map<string, Template<D>>();

  constructor(
    /** Template timeout in milliseconds. */
    readonly timeoutMs: number,
    readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The server a client's template names, or undefined when it has none (or it expired). `quiescent`
   * tells whether a destination has weight 0; with `expireQuiescent` such a template is dropped.
   */
  lookup(client: string, quiescent: (dest: D) => boolean, expireQuiescent: boolean): Template<D> | undefined {
    const t = this.#templates.get(client);
    if (!t) return undefined;
    const expired = t.controlled === 0 && this.now() - t.idleSince >= this.timeoutMs;
    if (expired || (expireQuiescent && quiescent(t.dest))) {
      this.#templates.delete(client);
      return undefined;
    }
    return t;
  }

  /** A new connection of `client` on `dest`: its template made or reused; call the result when it ends. */
  connected(client: string, dest: D): () => void {
    let t = this.#templates.get(client);
    if (!t || t.dest !== dest) {
      t = { dest, controlled: 0, idleSince: this.now() };
      this.#templates.set(client, t);
    }
    const template = t;
    template.controlled++;
    return () => {
      template.controlled--;
      if (template.controlled === 0) template.idleSince = this.now();
    };
  }

  /** Templates that name `dest` (a removed destination takes its templates with it). */
  forget(dest: D): void {
    for (const [client, t] of this.#templates) if (t.dest === dest) this.#templates.delete(client);
  }

  get size(): number {
    return this.#templates.size;
  }
}
