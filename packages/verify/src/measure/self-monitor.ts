import {
  createHistogram,
  type IntervalHistogram,
  monitorEventLoopDelay,
  type RecordableHistogram,
} from 'node:perf_hooks';
import type { LoopDelaySummary, PhaseId } from '../report/types.js';

/** The run-wide histogram's timer period: finer costs the verifier time, coarser hides short stalls. */
const RESOLUTION_MS = 10;
/** The phase clock: a tick that comes later than this is the loop's delay; by STALL_MS or more, a stall. */
const TICK_MS = 10;
const STALL_MS = 20;
const MEMORY_EVERY_MS = 250;
/** Bounds the stall log however long the run. */
const MAX_STALLS = 10_000;

export interface SelfMeasurement {
  eventLoopDelay: LoopDelaySummary;
  perPhase: Partial<Record<PhaseId, LoopDelaySummary>>;
  peakRssBytes: number;
  heapUsedBytes: number;
  /** Spans (performance.now()) in which the loop did not run. */
  stalls: Array<{ start: number; end: number }>;
}

const ms = (ns: number, minus = 0) => Math.max(0, Math.round((ns / 1e6 - minus) * 100) / 100);

function summarize(h: IntervalHistogram | RecordableHistogram, minusMs: number): LoopDelaySummary {
  if (h.count === 0) return { p50: 0, p99: 0, max: 0 };
  return { p50: ms(h.percentile(50), minusMs), p99: ms(h.percentile(99), minusMs), max: ms(h.max, minusMs) };
}

/**
 * How late the verifier's own event loop ran, over the run and per phase, when it stalled, and its
 * memory: so a verifier too busy to keep time is not mistaken for a slow server.
 */
export class SelfMonitor {
  /** Over the whole run; never reset (a reset drops the sample that spans it). */
  readonly #overall = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  /** The current phase, from the tick's lateness, so a stall is counted in the phase it happened in. */
  #phase: RecordableHistogram = createHistogram();
  readonly #perPhase: Partial<Record<PhaseId, LoopDelaySummary>> = {};
  readonly #stalls: Array<{ start: number; end: number }> = [];
  #peakRss = 0;
  #peakHeap = 0;
  #lastTick = performance.now();
  #lastMemory = 0;
  #ticker: NodeJS.Timeout;

  constructor() {
    this.#overall.enable();
    this.sampleMemory();
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
    this.#ticker.unref();
  }

  #tick(): void {
    const now = performance.now();
    this.#late(now);
    if (now - this.#lastMemory >= MEMORY_EVERY_MS) this.sampleMemory();
  }

  /** Records how late the loop is at `now` and starts the clock again. */
  #late(now: number): void {
    const late = Math.max(0, now - this.#lastTick - TICK_MS);
    this.#phase.record(Math.max(1, Math.round(late * 1e6)));
    if (late >= STALL_MS && this.#stalls.length < MAX_STALLS) this.#stalls.push({ start: now - late, end: now });
    this.#lastTick = now;
  }

  sampleMemory(): void {
    this.#lastMemory = performance.now();
    const m = process.memoryUsage();
    this.#peakRss = Math.max(this.#peakRss, m.rss);
    this.#peakHeap = Math.max(this.#peakHeap, m.heapUsed);
  }

  /** Spans (performance.now()) in which the loop did not run, so far: to excuse a slow reply the verifier caused. */
  stallsSoFar(): ReadonlyArray<{ start: number; end: number }> {
    this.#late(performance.now());
    return this.#stalls;
  }

  /** Closes a phase's figures, the stall that ends with it included; the next phase starts from zero. */
  endPhase(id: PhaseId): LoopDelaySummary {
    this.#late(performance.now());
    const d = summarize(this.#phase, 0);
    this.#perPhase[id] = d;
    this.#phase = createHistogram();
    this.sampleMemory();
    return d;
  }

  stop(): SelfMeasurement {
    clearInterval(this.#ticker);
    this.#overall.disable();
    this.sampleMemory();
    // The kernel's high-water mark also sees peaks between samples.
    const maxRss = process.resourceUsage().maxRSS * 1024;
    return {
      // The histogram holds whole timer periods: the delay is what goes past the resolution.
      eventLoopDelay: summarize(this.#overall, RESOLUTION_MS),
      perPhase: { ...this.#perPhase },
      peakRssBytes: Math.max(this.#peakRss, maxRss),
      heapUsedBytes: this.#peakHeap,
      stalls: [...this.#stalls],
    };
  }
}
