/**
 * The client addresses a run connects from (--source, --source-range), handed out in turn. On a
 * persistent service each kind of connection gets addresses of its own: a template made by an old
 * connection or by the new-connection sample would otherwise decide where later ones go.
 */
import { createServer } from 'node:net';

export type SourceRole = 'old' | 'new' | 'return';

export class ClientSources {
  readonly #pools: Record<SourceRole, readonly string[]>;
  readonly #next: Record<SourceRole, number> = { old: 0, new: 0, return: 0 };

  /** `separate`: old, new and return connections from disjoint thirds of `addresses`. */
  constructor(
    readonly addresses: readonly string[],
    separate = false,
  ) {
    if (!separate || addresses.length < 3) {
      this.#pools = { old: addresses, new: addresses, return: addresses };
      return;
    }
    const third = Math.floor(addresses.length / 3);
    this.#pools = {
      old: addresses.slice(0, third),
      new: addresses.slice(third, 2 * third),
      return: addresses.slice(2 * third),
    };
  }

  /** The next address for a connection of `role`; undefined: the system picks (no addresses given). */
  pick(role: SourceRole): string | undefined {
    const pool = this.#pools[role];
    if (pool.length === 0) return undefined;
    const address = pool[this.#next[role] % pool.length];
    this.#next[role]++;
    return address;
  }

  /** How many addresses `role` connects from. */
  count(role: SourceRole): number {
    return this.#pools[role].length;
  }
}

/** The given addresses that are not this host's (a connection cannot be bound to them). */
export async function foreignSources(addresses: readonly string[]): Promise<string[]> {
  const foreign: string[] = [];
  for (const address of addresses) {
    const ok = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(0, address, () => server.close(() => resolve(true)));
    });
    if (!ok) foreign.push(address);
  }
  return foreign;
}
