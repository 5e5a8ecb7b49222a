/**
 * The options of `lvs-verify drain` and `lvs-verify undrain`, the two halves of a maintenance done by
 * hand (or by another tool) in between. The server is their argument; the rest are cluster options and
 * maintain's wait and health options.
 */
import { CLUSTER_OPTIONS } from './cluster.js';
import { count, option } from './define.js';
import { HEALTHY_TIMEOUT, WAIT_OPTIONS } from './maintain.js';

export const DRAIN_OPTIONS = {
  vip: CLUSTER_OPTIONS.vip,
  reals: CLUSTER_OPTIONS.reals,
  driver: CLUSTER_OPTIONS.driver,
  config: CLUSTER_OPTIONS.config,
  wait: option<boolean>({ flag: '--wait', help: 'wait until the server is empty (it stays drained either way)' }),
  ...WAIT_OPTIONS,
  timeoutMs: CLUSTER_OPTIONS.timeoutMs,
  json: CLUSTER_OPTIONS.json,
  journalPath: CLUSTER_OPTIONS.journalPath,
};

export const UNDRAIN_OPTIONS = {
  vip: CLUSTER_OPTIONS.vip,
  reals: CLUSTER_OPTIONS.reals,
  driver: CLUSTER_OPTIONS.driver,
  config: CLUSTER_OPTIONS.config,
  weight: count('--weight <n>', 'the weight to put back when the journal has none for this server', 1, 65_535),
  healthyTimeoutMs: HEALTHY_TIMEOUT,
  restoreTimeoutMs: CLUSTER_OPTIONS.restoreTimeoutMs,
  timeoutMs: CLUSTER_OPTIONS.timeoutMs,
  json: CLUSTER_OPTIONS.json,
  journalPath: CLUSTER_OPTIONS.journalPath,
};
