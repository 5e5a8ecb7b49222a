import { CommanderError } from 'commander';
import { buildProgram, optionsFrom } from './args.js';
import { EXIT, exitCodeFor } from './errors.js';
import { createLogger } from './logger.js';
import { startRsServer } from './server.js';

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
  const rs = await startRsServer({ ...options, log });
  log.info('==============TCP SERVER==============');
  log.info(
    {
      address: rs.address.address,
      port: rs.address.port,
      serverName: options.name,
      maxLineBytes: options.maxLineBytes,
      idleTimeoutMs: options.idleTimeoutMs,
      maxConnections: options.maxConnections,
      keepAliveMs: options.keepAliveMs,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
    },
    `Listening Port is ${rs.address.port}...`,
  );

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      flush();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    stopping = true;
    log.info(
      { signal, open: rs.connectionCount, shutdownTimeoutMs: options.shutdownTimeoutMs },
      'shutting down: no new connections, serving open ones',
    );
    rs.shutdown(options.shutdownTimeoutMs).then(({ closedByTimeout }) => {
      log.info({ closedByTimeout }, 'stopped');
      flush();
      process.exit(EXIT.ok);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`rs-server: ${message}\n`);
  process.exit(exitCodeFor(err));
});
