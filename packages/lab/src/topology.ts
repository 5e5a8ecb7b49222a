/**
 * Namespaces on one L2 bridge: the bridge namespace holds `br0` (and the VM's tap); every other
 * namespace gets a veth pair whose inside end is `eth0`. Nothing is added to the host's own namespace.
 */
import type { SegmentPlan } from './plan.js';
import { inNetns, run } from './run-command.js';

const QUIET_SYSCTLS = [
  // IPv6 off: no router solicitations or DAD chatter on the lab wire.
  'net.ipv6.conf.all.disable_ipv6=1',
  'net.ipv6.conf.default.disable_ipv6=1',
];

export async function sysctl(netns: string, settings: readonly string[]): Promise<void> {
  await run(inNetns(netns, ['sysctl', '-q', '-e', '-w', ...settings]));
}

export async function addNamespace(netns: string): Promise<void> {
  await run(['ip', 'netns', 'add', netns]);
  await sysctl(netns, QUIET_SYSCTLS);
  await run(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
}

export async function addBridge(segment: SegmentPlan): Promise<void> {
  const br = segment.netns;
  await addNamespace(br);
  await run(['ip', '-n', br, 'link', 'add', segment.bridge, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await run(['ip', '-n', br, 'link', 'set', segment.bridge, 'up']);
}

/** The VM's tap on the bridge, made beforehand so qemu needs no helper scripts. */
export async function addTap(segment: SegmentPlan): Promise<void> {
  const br = segment.netns;
  await run(['ip', '-n', br, 'tuntap', 'add', 'dev', segment.tap, 'mode', 'tap']);
  await run(['ip', '-n', br, 'link', 'set', segment.tap, 'master', segment.bridge, 'up']);
}

/** A namespace joined to the bridge, `eth0` inside with `host/prefix`; the bridge port is `v-<role>`. */
export async function addMember(segment: SegmentPlan, netns: string, role: string, host: string): Promise<void> {
  const br = segment.netns;
  await addNamespace(netns);
  const port = bridgePortName(role);
  await run(['ip', '-n', br, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await run(['ip', '-n', br, 'link', 'set', port, 'master', segment.bridge, 'up']);
  await run(['ip', '-n', netns, 'addr', 'add', `${host}/${segment.prefixLength}`, 'dev', 'eth0']);
  await run(['ip', '-n', netns, 'link', 'set', 'eth0', 'up']);
}

/** More addresses on a member's interface, in one `ip -batch` (secondaries: the first address stays the source). */
export async function addAddresses(
  netns: string,
  dev: string,
  hosts: readonly string[],
  prefixLength: number,
): Promise<void> {
  if (hosts.length === 0) return;
  const batch = hosts.map((h) => `addr add ${h}/${prefixLength} dev ${dev}\n`).join('');
  await run(['ip', '-n', netns, '-batch', '-'], { input: batch });
}

export function bridgePortName(role: string): string {
  return `v-${role}`.slice(0, 15);
}

/**
 * A Direct Routing real server, as in the classic RealServer script: the VIP on `lo` so the server
 * accepts packets for it, and ARP settings so only the director answers ARP for the VIP.
 */
export async function makeDirectRoutingReal(netns: string, vip: string): Promise<void> {
  await run(['ip', '-n', netns, 'addr', 'add', `${vip}/32`, 'dev', 'lo']);
  await sysctl(netns, [
    'net.ipv4.conf.all.arp_ignore=1',
    'net.ipv4.conf.eth0.arp_ignore=1',
    'net.ipv4.conf.all.arp_announce=2',
    'net.ipv4.conf.eth0.arp_announce=2',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.eth0.rp_filter=0',
  ]);
}

export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run(['ip', 'netns', 'list'], { allowFail: true });
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

export async function deleteNamespace(netns: string): Promise<void> {
  await run(['ip', 'netns', 'del', netns], { allowFail: true });
}
