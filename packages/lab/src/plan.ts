/**
 * The address and name plan of a lab: pure, so the same plan is used to build, describe and tear down.
 * Namespace labs take every address from 198.18.0.0/15 (benchmarking range) and keep them inside the
 * lab's own namespaces; the builtin lab lives on this host's 127.0.0.0/8, every port picked by the kernel.
 */

import { LabOptionError } from './errors.js';

/** Every lab engine, in the order help texts list them; `builtin` is the default and needs no root. */
export const LAB_ENGINES = ['builtin', 'ipvs', 'keepalived', 'nft', 'haproxy'] as const;
export type LabEngine = (typeof LAB_ENGINES)[number];

/** Engines whose director is the IPVS VM (DR: the VIP is an address of its own, on every real server's lo). */
export const VM_ENGINES: readonly LabEngine[] = ['ipvs', 'keepalived'];

export function isLabEngine(value: string): value is LabEngine {
  return (LAB_ENGINES as readonly string[]).includes(value);
}

/**
 * How each engine can pick a real server for a new connection, in the engine's own words; the first is
 * the default. ipvs: every scheduler module of the kernel (`ipvsadm -s`); nft: the expression of the
 * `dnat to … map` rule (`numgen inc`, `numgen random`, `jhash ip saddr`); haproxy: `balance`; keepalived:
 * its `lb_algo`.
 */
export const LAB_SCHEDULERS = {
  builtin: ['wrr', 'rr', 'sh'],
  keepalived: ['wrr'],
  ipvs: ['wrr', 'rr', 'lc', 'wlc', 'sed', 'nq', 'fo', 'ovf', 'lblc', 'lblcr', 'dh', 'sh', 'mh'],
  nft: ['numgen', 'random', 'jhash'],
  haproxy: ['roundrobin', 'static-rr', 'leastconn', 'source', 'random'],
} as const satisfies Record<LabEngine, readonly string[]>;

/**
 * What a caller may choose about a lab. Plain data, one field per choice, read by `planLab` and by the
 * engines through the plan.
 */
export interface LabPlanOptions {
  /** Service port, the VIP's and every real server's. Default 2100 (the classic line server's); the builtin lab: 0, each picked by the kernel. */
  port?: number;
  /** Number of real servers (rs1, rs2 …). Default 2. */
  realCount?: number;
  /** One of the engine's LAB_SCHEDULERS; default its first. */
  scheduler?: string;
}

/**
 * Client addresses besides the client's own, for tests of schedulers that pick a server by the client's
 * address (sh, jhash ip saddr, balance source) or keep a client on one (persistence). In the client
 * namespace (all of it on the lab's /24); on loopback (builtin) every 127.0.0.0/8 address is this host's.
 */
export const CLIENT_SOURCES = { namespaces: '198.18.0.160/27', loopback: '127.0.1.0/27' } as const;

export interface RealServerPlan {
  name: string;
  /** Its namespace; undefined: this host (builtin). */
  netns?: string;
  host: string;
  /** 0: picked by the kernel, known once the server listens. */
  port: number;
}

/** One L2 bridge in a namespace of its own, joining the lab's namespaces (never the host's). */
export interface SegmentPlan {
  netns: string;
  bridge: string;
  prefixLength: number;
  /** The VM's tap on the bridge (ipvs). */
  tap: string;
}

export interface LabPlan {
  id: string;
  engine: LabEngine;
  /** Namespace labs: the bridge they share. Undefined for the builtin lab (this host's loopback). */
  segment?: SegmentPlan;
  /** Where clients run; undefined: this host. */
  clientNetns?: string;
  clientHost: string;
  /** nft and haproxy: the director's namespace; ipvs, keepalived: the VM (no namespace); builtin: this host. */
  directorNetns?: string;
  /** The director's own address (DIP). */
  directorHost: string;
  /** The service address; port 0: picked by the kernel (builtin). */
  vip: { host: string; port: number };
  reals: RealServerPlan[];
  /** Namespace labs: a second service on the same VIP and real servers, HTTP (nginx) on this port. */
  httpPort?: number;
  /** One of LAB_SCHEDULERS[engine]. */
  scheduler: string;
  /** More addresses the client may connect from (CIDR; see CLIENT_SOURCES). */
  clientSources: string;
}

export const NETNS_PREFIX = 'ldk-';

/** The scheduler asked for, checked against the engine's list; its first when none is. */
export function labScheduler(engine: LabEngine, scheduler?: string): string {
  const known: readonly string[] = LAB_SCHEDULERS[engine];
  if (scheduler === undefined) return known[0]!;
  if (!known.includes(scheduler)) {
    throw new LabOptionError(`the ${engine} lab has no scheduler "${scheduler}": it has ${known.join(', ')}`);
  }
  return scheduler;
}

export function planLab(engine: LabEngine, id: string, options: LabPlanOptions = {}): LabPlan {
  const realCount = options.realCount ?? 2;
  const scheduler = labScheduler(engine, options.scheduler);
  if (engine === 'builtin') {
    const port = options.port ?? 0;
    return {
      id,
      engine,
      clientHost: '127.0.0.1',
      directorHost: '127.0.0.1',
      vip: { host: '127.0.0.1', port },
      reals: Array.from({ length: realCount }, (_, i) => ({ name: `rs${i + 1}`, host: `127.0.0.${2 + i}`, port })),
      scheduler,
      clientSources: CLIENT_SOURCES.loopback,
    };
  }
  const port = options.port ?? 2100;
  const ns = (role: string) => `${NETNS_PREFIX}${id}-${role}`;
  const vm = VM_ENGINES.includes(engine);
  return {
    id,
    engine,
    segment: { netns: ns('br'), bridge: 'br0', prefixLength: 24, tap: 'tap0' },
    clientNetns: ns('client'),
    clientHost: '198.18.0.10',
    ...(vm ? {} : { directorNetns: ns('dir') }),
    directorHost: '198.18.0.2',
    // ipvs (DR): the VIP is a separate address owned by the director, and on every real server's lo.
    // nft/haproxy: the director's own address is the service address.
    vip: { host: vm ? '198.18.0.100' : '198.18.0.2', port },
    reals: Array.from({ length: realCount }, (_, i) => ({
      name: `rs${i + 1}`,
      netns: ns(`rs${i + 1}`),
      host: `198.18.0.${11 + i}`,
      port,
    })),
    httpPort: port === 8080 ? 8081 : 8080,
    scheduler,
    clientSources: CLIENT_SOURCES.namespaces,
  };
}

/** Namespaces the plan creates, in the order they are made (removal goes the other way). */
export function planNamespaces(plan: LabPlan): string[] {
  if (!plan.segment) return [];
  return [
    plan.segment.netns,
    ...(plan.clientNetns ? [plan.clientNetns] : []),
    ...(plan.directorNetns ? [plan.directorNetns] : []),
    ...plan.reals.flatMap((r) => (r.netns ? [r.netns] : [])),
  ];
}
