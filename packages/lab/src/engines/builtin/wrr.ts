/**
 * Weighted round-robin exactly as the kernel's ip_vs_wrr.c: a cursor over the destination list,
 * a current weight stepping down by the gcd of the weights, restarting at the max weight.
 * Weight 0 is never chosen; with every weight 0 nothing is.
 */

export interface WrrDest {
  weight: number;
  /** IP_VS_DEST_F_OVERLOAD: over its upper threshold. */
  overloaded?: boolean;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class WrrScheduler {
  /** mark->cl: index of the last chosen destination; -1 is the list head. */
  cl = -1;
  /** mark->cw, mark->mw, mark->di */
  cw = 0;
  mw = 0;
  di = 1;

  constructor(dests: readonly WrrDest[]) {
    this.destChanged(dests);
    this.cw = this.mw;
  }

  /** ip_vs_wrr_dest_changed: after an add, edit or delete. */
  destChanged(dests: readonly WrrDest[]): void {
    this.cl = -1;
    let g = 0;
    let max = 0;
    for (const d of dests) {
      if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
      if (d.weight > max) max = d.weight;
    }
    this.di = g || 1;
    this.mw = max - (this.di - 1);
    if (this.cw > this.mw || !this.cw) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.floor(this.cw / this.di) * this.di + 1;
  }

  /** ip_vs_wrr_schedule: the index of the chosen destination, or undefined ("no destination available"). */
  schedule(dests: readonly WrrDest[]): number | undefined {
    let dest = this.cl;
    if (this.mw === 0) return undefined;
    const last = dest;
    let stop: number | undefined;
    let lastPass = false;
    let restarted = false;
    for (;;) {
      for (let i = dest + 1; i < dests.length; i++) {
        dest = i;
        const d = dests[i]!;
        if (!d.overloaded && d.weight >= this.cw) {
          this.cl = i;
          return i;
        }
        if (i === stop) {
          this.cl = i;
          return undefined;
        }
      }
      dest = -1;
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        if (lastPass || last === -1) {
          this.cl = -1;
          return undefined;
        }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      if (lastPass && restarted && last !== -1) stop = last;
    }
  }
}
