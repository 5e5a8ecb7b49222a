/**
 * The JSON logger's records reach stdout in the order they were logged, all of them, also when the
 * process exits right after a stop: the last records must not overtake (or lose) a write still in flight.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const LOGGER = fileURLToPath(new URL('../src/logger.ts', import.meta.url));

describe('createLogger (json)', () => {
  it('flush() before exit writes every record, in order, while an earlier write is still in flight', async () => {
    const script = `
      import { pbkdf2 } from 'node:crypto';
      import { createLogger } from ${JSON.stringify(LOGGER)};
      const { log, flush } = createLogger({ format: 'json', level: 'info' });
      // The thread pool's one thread is busy: the first records' write waits in flight behind it.
      pbkdf2('x', 'y', 200000, 64, 'sha512', () => {});
      for (let i = 0; i < 3; i++) log.info('before ' + i);
      setImmediate(() => setImmediate(async () => {
        log.info('stopped');
        await flush();
        process.exit(0);
      }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { env: { ...process.env, UV_THREADPOOL_SIZE: '1' } },
    );
    const messages = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(['before 0', 'before 1', 'before 2', 'stopped']);
  });

  it('flush() before exit gives up on a stdout nobody reads: the process still exits', async () => {
    const script = `
      import { createLogger } from ${JSON.stringify(LOGGER)};
      const { log, flush } = createLogger({ format: 'json', level: 'info' });
      // Far more than a pipe holds: the write stalls once the reader stops reading.
      for (let i = 0; i < 2000; i++) log.info('x'.repeat(1000));
      setImmediate(async () => {
        await flush();
        process.exit(7);
      });
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // The pipe is never read: its kernel buffer fills and stays full.
    child.stdout.pause();
    try {
      const [code] = await once(child, 'exit');
      expect(code).toBe(7);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
