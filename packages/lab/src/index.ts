export * from './cpio.js';
export * from './director-image.js';
export * from './elf.js';
export {
  BUILTIN_SCHEDULERS,
  type BuiltinScheduler,
  type LabDirector,
  type LabDirectorOptions,
  startLabDirector,
} from './engines/builtin/director.js';
export {
  BLACKHOLE_MS,
  MISBEHAVIOURS,
  type Misbehaviour,
  parseMisbehaviours,
} from './engines/builtin/misbehaviour.js';
export { PersistenceTemplates } from './engines/builtin/persistence.js';
export { ShScheduler, shBucket } from './engines/builtin/sh.js';
export { type WrrDest, WrrScheduler } from './engines/builtin/wrr.js';
export type { DirectorEngine, DirectorExec, EngineOptions } from './engines/engine.js';
export { HAPROXY_BACKEND, HAPROXY_HTTP_BACKEND } from './engines/haproxy.js';
export { ENGINES } from './engines/index.js';
export { NFT_CHAIN, NFT_MAP, NFT_TABLE } from './engines/nft.js';
export * from './errors.js';
export * from './haproxy-config.js';
export * from './keepalived-config.js';
export * from './keepalived-status.js';
export * from './lab.js';
export * from './lab-info.js';
export * from './modinfo.js';
export * from './module-order.js';
export * from './nft-ruleset.js';
export * from './paths.js';
export * from './plan.js';
export * from './real-server-control.js';
export * from './shared-libraries.js';
export type { LabProcess, LabState } from './state.js';
