/** `rs-server [serve] [port]`: the default command. Parses its flags and runs the server in this process. */
import { DURATION_HELP, formatReadyBanner, portArgument } from '@lvs-drain-kit/common';
import type { Command } from 'commander';
import { createLogger } from '../../logger.js';
import { Registry, registerDataMetrics, serveMetricsToPrimary } from '../../metrics.js';
import { commanderOptions, flagValues } from '../../options/flag.js';
import { SERVE_FLAGS, serverOptionsFrom } from '../../options/serve.js';
import type { ServerOptions } from '../../options.js';
import { serve } from '../../serve.js';
import { startRsServer } from '../../server.js';
import { DrainState } from '../../state.js';
import { stopServing } from '../../stop.js';
import { isWorker, onStopRequest, runPrimary, toggleDrain } from '../../workers.js';

const EXAMPLES = `
Examples:
  rs-server                                   port 2100, replies "it's from the host: $(hostname)"
  rs-server 2100 --name rs1 --shutdown-timeout 2m
  rs-server 2100 --ctl /run/rs-server/ctl.sock --agent-port 2101 --status-port 9100 --drain-on-term 30s
                                              drain with \`rs-server ctl drain\`; HAProxy agent-check on 2101;
                                              /healthz and /metrics on 127.0.0.1:9100; SIGTERM drains first

Signals: SIGTERM/SIGINT stop gracefully (a second one exits at once); SIGUSR2 toggles drain ↔ ready.
${DURATION_HELP}`;

export function register(program: Command): void {
  const command = program
    .command('serve', { isDefault: true })
    .summary('serve the line protocol (the default command)')
    .description(
      'Logs every line and answers "it\'s from the host: NAME"; "shutdown" closes that connection. ' +
        'Optionally a drain state for health checkers: control socket, HAProxy agent-check, /healthz, /metrics.',
    )
    .argument('[port]', 'TCP port to listen on; 0 picks a free one (default 2100)', portArgument({ allowZero: true }))
    .addHelpText('after', EXAMPLES);
  for (const option of commanderOptions(SERVE_FLAGS)) command.addOption(option);
  command.action(async (port: number | undefined, parsed: Record<string, unknown>) => {
    await runServe(serverOptionsFrom(flagValues(SERVE_FLAGS, parsed), port, Boolean(process.stdout.isTTY)));
  });
}

/** The process around the server: logger, banner, signals, --workers. Returns once it serves. */
async function runServe(options: ServerOptions): Promise<void> {
  const { log, flush } = createLogger({ format: options.logFormat, level: options.logLevel });
  const banner = (fields: Record<string, unknown> & { port: number }) => {
    log.info('==============TCP SERVER==============');
    log.info(
      {
        ...fields,
        serverName: options.name,
        maxLineBytes: options.maxLineBytes,
        idleTimeoutMs: options.idleTimeoutMs,
        maxConnections: options.maxConnections,
        keepAliveMs: options.keepAliveMs,
        shutdownTimeoutMs: options.shutdownTimeoutMs,
        drainOnTermMs: options.drainOnTermMs,
        workers: options.workers,
      },
      formatReadyBanner(fields.port),
    );
  };
  if (options.workers > 1 && !isWorker()) {
    await runPrimary({ ...options, log, flush, banner });
    return;
  }
  if (isWorker()) {
    await runWorker(options, log, flush);
    return;
  }

  const serving = await serve({ ...options, log });
  banner(serving.addresses as Record<string, unknown> & { port: number });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      void flush().then(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
      return;
    }
    serving
      .stop(signal)
      .then(flush)
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGUSR2', () => toggleDrain(serving.state, log));
}

/**
 * A --workers worker: serves lines, reports metrics to the primary, stops when the primary says so. A
 * signal alone does not stop it: systemd and a terminal signal the whole group, and the primary's stop
 * (which drains first) must decide; a second signal exits at once.
 */
async function runWorker(
  options: ServerOptions,
  log: ReturnType<typeof createLogger>['log'],
  flush: () => Promise<void>,
) {
  const rs = await startRsServer({ ...options, log });
  const registry = new Registry();
  registerDataMetrics(registry, { stats: rs.stats, open: () => rs.connectionCount });
  serveMetricsToPrimary(registry);
  let stopping = false;
  onStopRequest((drainMs) => {
    if (stopping) return;
    stopping = true;
    stopServing({
      state: new DrainState(),
      log,
      by: 'primary',
      drainOnTermMs: drainMs,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      open: () => rs.connectionCount,
      watched: false,
      shutdown: (ms) => rs.shutdown(ms),
    })
      .then(flush)
      .then(() => process.exit(0));
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) void flush().then(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGUSR2', () => {}); // the primary holds the state
}
