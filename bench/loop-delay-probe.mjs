// Preloaded (NODE_OPTIONS=--import) into every Node process of a drain-test run: at exit each one
// writes its event-loop delay to $LVS_BENCH_LOOP_DIR/<pid>.json, so the bench can tell a verifier
// too busy to keep time from slow servers without changing the verifier.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const dir = process.env.LVS_BENCH_LOOP_DIR;
if (dir) {
  const RESOLUTION_MS = 10;
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  process.on('exit', () => {
    h.disable();
    // The histogram holds whole timer intervals: the delay is what goes past the resolution.
    const ms = (ns) => Math.max(0, Math.round(ns / 1e4 - RESOLUTION_MS * 100) / 100);
    const record = {
      pid: process.pid,
      argv: process.argv.slice(1),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      loopDelayMs: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) },
    };
    try {
      writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(record));
    } catch {
      // the bench is gone; nothing to report to
    }
  });
}
