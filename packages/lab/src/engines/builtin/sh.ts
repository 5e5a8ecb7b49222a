/**
 * Source hashing as the kernel's ip_vs_sh.c does it: 256 buckets handed out to the destinations in list
 * order, each taking as many consecutive buckets as its weight (a weight-0 destination still takes one
 * per turn), and a client address hashed to a bucket. A bucket whose destination has weight 0 (or is
 * overloaded) yields no destination: without the sh-fallback flag, the client is refused rather than
 * sent elsewhere.
 */
export interface ShDest {
  weight: number;
  overloaded?: boolean;
}

const TAB_SIZE = 256;

/** ip_vs_sh_hashkey for IPv4 without sh-port: `(ntohl(addr) * 2654435761) & 255`. */
export function shBucket(address: string): number {
  const v4 = address.replace(/^::ffff:/, '');
  const octets = v4.split('.').map(Number);
  // Only the low 8 bits of the product are kept, so only the last octet and the multiplier's low byte count.
  const low = octets.length === 4 ? octets[3]! : [...v4].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 256, 0);
  return (low * (2654435761 % 256)) % TAB_SIZE;
}

export class ShScheduler {
  /** Bucket → index into the destination list; -1 with no destinations. */
  #buckets: number[] = new Array(TAB_SIZE).fill(-1);

  constructor(dests: readonly ShDest[]) {
    this.destChanged(dests);
  }

  /** ip_vs_sh_reassign: after an add, edit or delete. */
  destChanged(dests: readonly ShDest[]): void {
    let p = 0;
    let count = 0;
    for (let i = 0; i < TAB_SIZE; i++) {
      if (dests.length === 0) {
        this.#buckets[i] = -1;
        continue;
      }
      this.#buckets[i] = p;
      if (++count >= dests[p]!.weight) {
        p = (p + 1) % dests.length;
        count = 0;
      }
    }
  }

  /** ip_vs_sh_get: the destination of the client's bucket, or undefined where it is unavailable. */
  schedule(dests: readonly ShDest[], clientAddress: string): number | undefined {
    const i = this.#buckets[shBucket(clientAddress)]!;
    const d = dests[i];
    if (!d || d.weight <= 0 || d.overloaded) return undefined;
    return i;
  }
}
