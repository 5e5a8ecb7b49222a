/**
 * Records every exchange of a run with its time, for drawing the run as a timeline (`--html`).
 * Times are `performance.now()` values while recording; `report()` turns them into the compact,
 * drain-relative columns of `TimelineReport` once the drain's moment is known.
 */
import {
  FAILURE_CLASSES,
  type FailureClass,
  FRESH_KINDS,
  type FreshKind,
  type TimelineReport,
} from '../report/types.js';

/** What came back: the host that answered (with the round trip), or how it failed. */
export type Answer = { ok: true; host: string; rttMs: number } | { ok: false; class: FailureClass };

/** What `report()` needs to know about the run. */
export interface TimelineBase {
  /** performance.now() at the run's start, and at the drain (undefined when nothing was drained). */
  t0: number;
  drainAt: number | undefined;
  /** The servers given, by name, in report order. */
  servers: ReadonlyMap<string, unknown>;
  /** The drained server's name ('' when unknown). */
  drainedName: string;
}

/**
 * Kept as plain numbers while the run goes on (a quarter of a million lines at 10,000 connections):
 * an answer is a host's index in `#hosts`, a failure is `-1 - FAILURE_CLASSES.indexOf(class)`.
 */
export class TimelineRecorder {
  readonly #rows = new Map<string, number>();
  readonly #hosts = new Map<string, number>();
  readonly #old = { host: [] as number[], openedAt: [] as number[], connectMs: [] as number[] };
  readonly #probes = { row: [] as number[], sentAt: [] as number[], tookMs: [] as number[], answer: [] as number[] };
  readonly #fresh = { kind: [] as number[], sentAt: [] as number[], connectMs: [] as number[], answer: [] as number[] };
  #restoreAt: number | undefined;

  /** An old connection to `server`, opened at `openedAt`, connected after `connectMs`, and its `hello` exchange. */
  opened(id: string, server: string, openedAt: number, connectMs: number, hello: Answer): void {
    this.#rows.set(id, this.#old.host.length);
    this.#old.host.push(this.#host(server));
    this.#old.openedAt.push(openedAt);
    this.#old.connectMs.push(connectMs);
    this.probe(id, openedAt + connectMs, hello);
  }

  /** A line on an old connection sent at `sentAt`; a failure's time is until now, when it was seen. */
  probe(id: string, sentAt: number, answer: Answer): void {
    const row = this.#rows.get(id);
    if (row === undefined) return;
    this.#probes.row.push(row);
    this.#probes.sentAt.push(sentAt);
    this.#probes.tookMs.push(answer.ok ? answer.rttMs : performance.now() - sentAt);
    this.#probes.answer.push(this.#code(answer));
  }

  /** A fresh connection started at `sentAt`; `connectMs` undefined when it never connected. */
  fresh(kind: FreshKind, sentAt: number, connectMs: number | undefined, answer: Answer): void {
    this.#fresh.kind.push(FRESH_KINDS.indexOf(kind));
    this.#fresh.sentAt.push(sentAt);
    this.#fresh.connectMs.push(connectMs ?? -1);
    this.#fresh.answer.push(this.#code(answer));
  }

  /** The driver confirmed the original weight is back. */
  restored(at = performance.now()): void {
    this.#restoreAt = at;
  }

  report(base: TimelineBase): TimelineReport {
    const origin = base.drainAt ?? base.t0;
    const ms = (at: number) => Math.round(at - origin);
    const tenths = (d: number) => (d < 0 ? -1 : Math.round(d * 10));
    // Servers in the report's order first, then any other host that answered.
    const servers = [...new Set([...base.servers.keys(), ...this.#hosts.keys()])];
    const hostToOutcome = [...this.#hosts.keys()].map((h) => servers.indexOf(h));
    const outcome = (code: number) => (code >= 0 ? hostToOutcome[code]! : servers.length - 1 - code);

    // Lines were recorded as they happened, connections interleaved: group them by connection, keeping order.
    const rows = this.#old.host.length;
    const counts = new Array<number>(rows).fill(0);
    for (const r of this.#probes.row) counts[r]!++;
    const next = new Array<number>(rows);
    for (let r = 0, at = 0; r < rows; r++) {
      next[r] = at;
      at += counts[r]!;
    }
    const n = this.#probes.row.length;
    const probes = { sentMs: new Array<number>(n), tookTenths: new Array<number>(n), outcome: new Array<number>(n) };
    for (let i = 0; i < n; i++) {
      const at = next[this.#probes.row[i]!]!++;
      probes.sentMs[at] = ms(this.#probes.sentAt[i]!);
      probes.tookTenths[at] = tenths(this.#probes.tookMs[i]!);
      probes.outcome[at] = outcome(this.#probes.answer[i]!);
    }

    const drained = this.#hosts.get(base.drainedName);
    const returned = this.#fresh.kind.findIndex(
      (k, i) => FRESH_KINDS[k] === 'return' && drained !== undefined && this.#fresh.answer[i] === drained,
    );
    return {
      outcomes: [...servers, ...FAILURE_CLASSES],
      serverCount: servers.length,
      ...(base.drainAt !== undefined ? { drainAtMs: Math.round(base.drainAt - base.t0) } : {}),
      ...(this.#restoreAt !== undefined ? { restoreMs: ms(this.#restoreAt) } : {}),
      ...(returned >= 0 ? { returnMs: ms(this.#fresh.sentAt[returned]!) } : {}),
      old: {
        server: this.#old.host.map(outcome),
        openedMs: this.#old.openedAt.map(ms),
        connectTenths: this.#old.connectMs.map(tenths),
        probes: counts,
      },
      probes,
      fresh: {
        kind: [...this.#fresh.kind],
        sentMs: this.#fresh.sentAt.map(ms),
        connectTenths: this.#fresh.connectMs.map(tenths),
        outcome: this.#fresh.answer.map(outcome),
      },
    };
  }

  #host(name: string): number {
    let code = this.#hosts.get(name);
    if (code === undefined) {
      code = this.#hosts.size;
      this.#hosts.set(name, code);
    }
    return code;
  }

  #code(answer: Answer): number {
    return answer.ok ? this.#host(answer.host) : -1 - FAILURE_CLASSES.indexOf(answer.class);
  }
}
