/** A group of connections whose lines go out together, `offsetMs` after the start of a round. */
export interface PaceSlot {
  offsetMs: number;
  /** Indexes [from, to) into the connection list. */
  from: number;
  to: number;
}

/**
 * Lines written in one go. Each write runs the kernel's TCP path (and the lab's veth and nft) on the
 * verifier's thread, ~30 µs here: 128 of them keep an event-loop turn in the low milliseconds.
 */
export const BATCH = 128;

/**
 * Spreads one round's `n` lines over `intervalMs`: connection i goes out `i * intervalMs / n` after
 * the round starts, in batches of at most `batch`, so replies come back spread instead of all in one
 * event-loop turn. Up to `batch` connections stay one burst, as they always were.
 */
export function paceSchedule(n: number, intervalMs: number, batch = BATCH): PaceSlot[] {
  if (n <= 0) return [];
  const slots = Math.ceil(n / batch);
  const out: PaceSlot[] = [];
  for (let k = 0; k < slots; k++) {
    const from = Math.floor((k * n) / slots);
    const to = Math.floor(((k + 1) * n) / slots);
    out.push({ offsetMs: (from * intervalMs) / n, from, to });
  }
  return out;
}

/**
 * Lets one caller through per event-loop turn: batches that fall due together (a verifier running
 * late) still go out a turn apart, with replies read in between, instead of in one long turn.
 */
export class TurnGate {
  #last: Promise<void> = Promise.resolve();

  pass(): Promise<void> {
    // An immediate queued while immediates run waits for the next turn: one caller per turn.
    const next = this.#last.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.#last = next;
    return next;
  }
}
