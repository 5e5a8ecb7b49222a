export { type ConnectionContext, serveConnection } from './connection.js';
export { EXIT, exitCodeFor, ListenError, UsageError } from './errors.js';
export { createLogger, type LoggerOptions, type ServerLogger } from './logger.js';
export { DEFAULTS, type LogFormat, type ServerOptions } from './options.js';
export { type RsServer, type StartOptions, startRsServer } from './server.js';
