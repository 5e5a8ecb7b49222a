import pc from 'picocolors';
import type { MaintainProgress } from '../../maintain/progress.js';

/** maintain's lines on stderr: `[+1.23s] rs1    wait-empty             …`; colours only on a terminal. */
export function createMaintainProgressPrinter(stream: NodeJS.WriteStream = process.stderr, env = process.env) {
  const c = pc.createColors(Boolean(stream.isTTY) && !env.NO_COLOR);
  return (e: MaintainProgress): void => {
    const t = c.dim(`[+${(e.atMs / 1000).toFixed(2)}s]`);
    const who = (e.server ?? '').padEnd(6);
    const step = e.kind === 'start' ? c.bold(e.step.padEnd(22)) : ' '.repeat(22);
    const msg = e.kind === 'warn' ? c.yellow(e.message) : e.message;
    stream.write(`${t} ${who} ${step} ${msg}\n`);
  };
}
