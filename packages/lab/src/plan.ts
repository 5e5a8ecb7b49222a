/**
 * The address and name plan of a lab: pure, so the same plan is used to build, describe and tear down.
 * All addresses come from 198.18.0.0/15 (benchmarking range) and live only in the lab's own namespaces.
 */
export type LabEngine = 'ipvs' | 'nft' | 'haproxy';

export const LAB_ENGINES: readonly LabEngine[] = ['ipvs', 'nft', 'haproxy'];

export interface RealServerPlan {
  name: string;
  netns: string;
  host: string;
  port: number;
}

export interface LabPlan {
  id: string;
  engine: LabEngine;
  prefixLength: number;
  /** Holds the L2 bridge (and, for ipvs, the VM's tap). */
  bridgeNetns: string;
  bridge: string;
  clientNetns: string;
  clientHost: string;
  /** nft and haproxy: the director's namespace; ipvs: the VM (no namespace). */
  directorNetns: string | undefined;
  /** The director's own address (DIP) on the lab subnet. */
  directorHost: string;
  vip: { host: string; port: number };
  reals: RealServerPlan[];
  tap: string;
}

export const NETNS_PREFIX = 'ldk-';

export function isLabEngine(value: string): value is LabEngine {
  return (LAB_ENGINES as readonly string[]).includes(value);
}

export function planLab(engine: LabEngine, id: string, port = 2100, realCount = 2): LabPlan {
  const ns = (role: string) => `${NETNS_PREFIX}${id}-${role}`;
  const reals: RealServerPlan[] = Array.from({ length: realCount }, (_, i) => ({
    name: `rs${i + 1}`,
    netns: ns(`rs${i + 1}`),
    host: `198.18.0.${11 + i}`,
    port,
  }));
  return {
    id,
    engine,
    prefixLength: 24,
    bridgeNetns: ns('br'),
    bridge: 'br0',
    clientNetns: ns('client'),
    clientHost: '198.18.0.10',
    directorNetns: engine === 'ipvs' ? undefined : ns('dir'),
    directorHost: '198.18.0.2',
    // ipvs (DR): the VIP is a separate address owned by the director, and on every real server's lo.
    // nft/haproxy: the director's own address is the service address.
    vip: { host: engine === 'ipvs' ? '198.18.0.100' : '198.18.0.2', port },
    reals,
    tap: 'tap0',
  };
}

/** Namespaces the plan creates, in the order they are made (removal goes the other way). */
export function planNamespaces(plan: LabPlan): string[] {
  return [
    plan.bridgeNetns,
    plan.clientNetns,
    ...(plan.directorNetns ? [plan.directorNetns] : []),
    ...plan.reals.map((r) => r.netns),
  ];
}
