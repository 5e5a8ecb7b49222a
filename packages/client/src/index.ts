export * from './colors.js';
export * from './commands/command.js';
export {
  type ConnectInvocation,
  connect,
  connectInvocation,
  connectSpec,
  MAX_RETRIES,
} from './commands/connect/index.js';
export { type ListenInvocation, listen, listenInvocation, listenSpec } from './commands/listen/index.js';
export { MAX_PROBES, type ProbeInvocation, probeInvocation, probeSpec } from './commands/probe/index.js';
export * from './connect.js';
export * from './connect-input.js';
export * from './errors.js';
export * from './hex.js';
export * from './history.js';
export * from './interactive.js';
export * from './latency.js';
export * from './line-client.js';
export * from './link.js';
export * from './listen-input.js';
export * from './listen-session.js';
export * from './listener.js';
export * from './probe.js';
export * from './probe-report.js';
export * from './program.js';
export * from './scripted.js';
export * from './session.js';
export * from './stats.js';
export * from './terminal.js';
export * from './transcript.js';
export { VERSION } from './version.js';
