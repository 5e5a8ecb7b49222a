export { agentReply } from './agent.js';
export { CHECK_EXIT, checkExitCode } from './commands/check/index.js';
export { type ConnectionContext, serveConnection } from './connection.js';
export { askControl } from './control/client.js';
export {
  type ControlAnswer,
  type ControlRequest,
  type ControlStatus,
  formatControlRequest,
  parseControlRequest,
} from './control/protocol.js';
export {
  ControlRefusedError,
  ControlUnreachableError,
  EXIT,
  exitCodeFor,
  ListenError,
  NotSetUpError,
  RealServerSetupError,
  UsageError,
} from './errors.js';
export { createLogger, type LoggerOptions, type ServerLogger } from './logger.js';
export { DEFAULTS, type LogFormat, type ServerOptions } from './options.js';
export { type ServeOptions, type Serving, serve } from './serve.js';
export { type RsServer, type StartOptions, startRsServer } from './server.js';
export { DrainState, type RequestedState, type ServingState, type StateSnapshot } from './state.js';
export { healthz } from './status-http.js';
export { type StopResult, stopServing } from './stop.js';
export { VERSION } from './version.js';
