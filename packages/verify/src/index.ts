/**
 * lvs-verify as a library: runDrainTest and runMaintain with plain options, their reports, the journal
 * and undo. The drivers are @lvs-drain-kit/drivers; what a run needs of them is re-exported here for
 * one import.
 */

export {
  createDirectorTransport,
  createDriver,
  createHaproxyDriver,
  createIpvsadmDriver,
  type DirectorState,
  type DrainDriver,
  type DriverSpec,
  type RealServerRef,
  type ServiceRef,
} from '@lvs-drain-kit/drivers';
export { loadConfig, validateConfig } from './config.js';
export * from './errors.js';
export {
  defaultJournalPath,
  isRecordedProcessAlive,
  Journal,
  type JournalEntry,
  JournalLockError,
  journalPaths,
  SYSTEM_STATE_DIR,
  stateDir,
} from './journal.js';
export { drainTestArgs } from './lab-engines.js';
export {
  type DrainServerOptions,
  drainServer,
  type UndrainServerOptions,
  undrainServer,
} from './maintain/drain-server.js';
export { runMaintain } from './maintain/maintain.js';
export { MAINTAIN_DEFAULTS, type MaintainOptions } from './maintain/options.js';
export type { MaintainProgress } from './maintain/progress.js';
export type { DrainTestOptions, RealSpec } from './options.js';
export { DEFAULTS } from './options.js';
export type { ProgressEvent } from './progress.js';
export { parseRealSpec } from './real-spec.js';
export { renderHtml } from './report/html/index.js';
export { renderHuman } from './report/human.js';
export { stringifyReport } from './report/json.js';
export { buildJunit } from './report/junit.js';
export { renderMaintainHuman } from './report/maintain-human.js';
export { buildMaintainJunit } from './report/maintain-junit.js';
export type * from './report/maintain-types.js';
export type * from './report/types.js';
export { runDrainTest } from './run/drain-test.js';
export { undoDrains } from './undo.js';
