import { formatReadyBanner } from '@lvs-drain-kit/common';
import { CommanderError } from 'commander';
import { buildProgram, optionsFrom } from './args.js';
import { EXIT, exitCodeFor } from './errors.js';
import { createLogger } from './logger.js';
import { startRsServer } from './server.js';
import { failWorker, isWorker, onStopRequest, runPrimary } from './workers.js';

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    program.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
    throw err;
  }
  const options = optionsFrom(program);
  const { log, flush } = createLogger({ format: options.logFormat, level: options.logLevel });
  const banner = (address: { address: string; port: number }) => {
    log.info('==============TCP SERVER==============');
    log.info(
      {
        address: address.address,
        port: address.port,
        serverName: options.name,
        maxLineBytes: options.maxLineBytes,
        idleTimeoutMs: options.idleTimeoutMs,
        maxConnections: options.maxConnections,
        keepAliveMs: options.keepAliveMs,
        shutdownTimeoutMs: options.shutdownTimeoutMs,
        workers: options.workers,
      },
      formatReadyBanner(address.port),
    );
  };
  if (options.workers > 1 && !isWorker()) {
    runPrimary({ workers: options.workers, shutdownTimeoutMs: options.shutdownTimeoutMs, log, flush, banner });
    return;
  }
  const rs = await startRsServer({ ...options, log });
  if (!isWorker()) banner(rs.address);

  let stopping = false;
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(
      { signal, open: rs.connectionCount, shutdownTimeoutMs: options.shutdownTimeoutMs },
      'shutting down: no new connections, serving open ones',
    );
    rs.shutdown(options.shutdownTimeoutMs).then(({ closedByTimeout, acceptedQueued }) => {
      log.info({ closedByTimeout, acceptedQueued }, 'stopped');
      flush();
      process.exit(EXIT.ok);
    });
  };
  // Counting signals, not stop requests: under --workers a Ctrl-C reaches a worker both directly and
  // through the primary, and that is still the first one.
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      flush();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (isWorker()) onStopRequest(() => stop('SIGTERM'));
}

main(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  if (isWorker()) return failWorker(message, exitCodeFor(err));
  process.stderr.write(`rs-server: ${message}\n`);
  process.exit(exitCodeFor(err));
});
