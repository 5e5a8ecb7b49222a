import pc from 'picocolors';
import type { ProgressEvent } from './progress.js';

/** Phase lines on stderr: `[+1.23s] hold  holding 8 old connections…`; colours only on a terminal. */
export function createProgressPrinter(stream: NodeJS.WriteStream = process.stderr, env = process.env) {
  const c = pc.createColors(Boolean(stream.isTTY) && !env.NO_COLOR);
  return (e: ProgressEvent): void => {
    const t = c.dim(`[+${(e.atMs / 1000).toFixed(2)}s]`);
    const phase = e.kind === 'start' ? c.bold(e.phase.padEnd(15)) : ' '.repeat(15);
    const msg = e.kind === 'warn' ? c.yellow(e.message) : e.message;
    stream.write(`${t} ${phase} ${msg}\n`);
  };
}

export function useColor(stream: NodeJS.WriteStream = process.stdout, env = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}
