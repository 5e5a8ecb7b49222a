export { loadConfig, validateConfig } from './config.js';
export { createCommandDriver } from './drivers/command.js';
export { createHaproxyDriver } from './drivers/haproxy.js';
export { createIpvsadmDriver } from './drivers/ipvsadm.js';
export {
  editWeightArgv,
  formatIpvsadmList,
  type IpvsDest,
  type IpvsService,
  parseIpvsadmList,
} from './drivers/ipvsadm-list.js';
export { createDriver } from './drivers/registry.js';
export * from './drivers/types.js';
export * from './errors.js';
export { defaultJournalPath, Journal, type JournalEntry, stateDir } from './journal.js';
export { type BuiltinLab, type BuiltinLabInfo, startBuiltinLab } from './lab/builtin.js';
export { type LabDirector, type LabDirectorOptions, startLabDirector } from './lab/director.js';
export { MISBEHAVIOURS, type Misbehaviour } from './lab/misbehaviour.js';
export { WrrScheduler } from './lab/wrr.js';
export type { DrainTestOptions, RealSpec } from './options.js';
export { DEFAULTS } from './options.js';
export type { ProgressEvent } from './progress.js';
export { parseRealSpec } from './real-spec.js';
export { renderHuman } from './report/human.js';
export { buildJunit } from './report/junit.js';
export type * from './report/types.js';
export { runDrainTest } from './run/drain-test.js';
export { shellJoin, shellQuote } from './shell-quote.js';
export { createDirectorTransport } from './transports/factory.js';
export { createLabControlTransport } from './transports/lab-control.js';
export { undoDrains } from './undo.js';
