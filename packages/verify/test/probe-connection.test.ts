import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { openRsLine } from '../src/probe/line.js';

// A line server in another process: it answers while this process stands still.
const SERVER = `
const net = require('node:net');
const s = net.createServer((c) => c.on('data', () => c.write("it's from the host: far\\n")));
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

const busyWait = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the event loop stands still
  }
};

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill();
  child = undefined;
});

async function startServer(): Promise<number> {
  child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return Number(chunk.toString().trim());
}

describe('a probe connection whose process stood still past the timeout', () => {
  it('takes the reply that arrived meanwhile, not a timeout', async () => {
    const port = await startServer();
    const conn = await openRsLine({ host: '127.0.0.1', port, timeoutMs: 2000 });
    const pending = conn.ask('hello', undefined, 50);
    // The reply lands in the kernel while the loop is blocked; the 50 ms timer is overdue when it runs.
    busyWait(300);
    expect(await pending).toMatchObject({ ok: true, host: 'far' });
    conn.destroy();
  });

  it('takes the connection that completed meanwhile, not a connect timeout', async () => {
    const port = await startServer();
    const opening = openRsLine({ host: '127.0.0.1', port, timeoutMs: 20 });
    busyWait(300);
    const conn = await opening;
    expect((await conn.ask('hello', undefined, 2000)).ok).toBe(true);
    conn.destroy();
  });
});
