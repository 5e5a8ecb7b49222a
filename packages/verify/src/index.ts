export { createDriver } from './drivers/registry.js';
export * from './drivers/types.js';
export * from './errors.js';
export type { DrainTestOptions, RealSpec } from './options.js';
export type { ProgressEvent } from './progress.js';
export type * from './report/types.js';
export { createDirectorTransport } from './transports/factory.js';
