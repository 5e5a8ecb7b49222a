export * from './address.js';
export * from './cli-args.js';
export * from './duration.js';
export * from './escape.js';
export * from './framer.js';
export * from './reply.js';
export * from './rs-server.js';
export * from './transport.js';
