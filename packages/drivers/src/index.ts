export type { DriverDefinition, DriverFlag, DriverFlags, Zod } from './definition.js';
export { flagName } from './definition.js';
export { type BuiltinSpec, builtinDriver, createBuiltinDriver } from './drivers/builtin.js';
export {
  type CommandDriverOptions,
  type CommandSpec,
  commandDriver,
  createCommandDriver,
  parseWeightOutput,
} from './drivers/command.js';
export {
  fillPlaceholders,
  fillTemplate,
  placeholdersOutside,
  type TemplateValues,
  unknownPlaceholders,
} from './drivers/command-template.js';
export { createHaproxyDriver, type HaproxyDriverOptions, type HaproxySpec, haproxyDriver } from './drivers/haproxy.js';
export * from './drivers/haproxy-api.js';
export * from './drivers/haproxy-counts.js';
export * from './drivers/haproxy-sessions.js';
export * from './drivers/ipvs-sysctls.js';
export { createIpvsadmDriver, type IpvsadmDriverOptions, type IpvsadmSpec, ipvsadmDriver } from './drivers/ipvsadm.js';
export * from './drivers/ipvsadm-connections.js';
export * from './drivers/ipvsadm-counts.js';
export * from './drivers/ipvsadm-list.js';
export {
  BACKUP_SUFFIX,
  createKeepalivedDriver,
  type KeepalivedDriverOptions,
  type KeepalivedSpec,
  keepalivedDriver,
} from './drivers/keepalived.js';
export * from './drivers/keepalived-conf.js';
export { keepalivedOwnerWarning } from './drivers/keepalived-owner.js';
export { createManualDriver, type ManualDriverOptions, type ManualSpec, manualDriver } from './drivers/manual.js';
export { createNftDriver, type NftDriverOptions, type NftSpec, nftDriver, nftDriverFromSpec } from './drivers/nft.js';
export * from './drivers/nft-connections.js';
export * from './drivers/nft-conntrack.js';
export * from './drivers/nft-map.js';
export * from './errors.js';
export { createDriver } from './registry.js';
export * from './spec.js';
export { createDirectorTransport, DIRECTOR_FLAG } from './transports/factory.js';
export { createLabControlTransport } from './transports/lab-control.js';
export { createLocalTransport } from './transports/local.js';
export { netnsTransport } from './transports/netns.js';
export { createSerialTransport, type SerialTransportOptions } from './transports/serial.js';
export * from './transports/serial-framing.js';
export { createSshTransport, parseSshUrl, type SshTarget, sshArgv } from './transports/ssh.js';
export * from './types.js';
