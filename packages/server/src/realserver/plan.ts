/**
 * What makes a host an LVS-DR real server (the seed's RealServer script): every VIP as a /32 on `lo`, so
 * the kernel accepts packets the director forwards to it, and ARP settings so that the host never answers
 * ARP for the VIP (arp_ignore=1: only for addresses of the asking interface) nor uses it as the source of
 * its own ARP requests (arp_announce=2). Pure: from what the host shows now and what an earlier `up`
 * recorded, the steps to take. `down` undoes only what `up` did, and puts back the values that were there
 * before (remembered, not assumed); a value someone changed since is left alone.
 */

/** The sysctls `up` sets, and the values it sets them to. */
export const DR_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.conf.all.arp_ignore': '1',
  'net.ipv4.conf.all.arp_announce': '2',
  'net.ipv4.conf.lo.arp_ignore': '1',
  'net.ipv4.conf.lo.arp_announce': '2',
};

/** The interface that carries the VIPs. */
export const VIP_DEVICE = 'lo';

/** What the host shows now. */
export interface HostView {
  sysctls: Record<string, string>;
  /** IPv4 addresses on `lo` as ADDR/PREFIX. */
  loAddresses: string[];
}

/** Written by `up`, read by `down` and `status`. */
export interface RealServerRecord {
  version: 1;
  /** Every VIP `up` was asked for. */
  vips: string[];
  /** The VIPs `up` added (the others were on lo already and are not ours to remove). */
  addedVips: string[];
  /** Each sysctl's value before the first `up`. */
  sysctlsBefore: Record<string, string>;
}

export type Step =
  | { kind: 'sysctl'; key: string; value: string }
  | { kind: 'addr-add'; vip: string }
  | { kind: 'addr-del'; vip: string };

const cidr = (vip: string) => `${vip}/32`;

/** The command of a step, as run and as printed (every word is plain: addresses, sysctl names, digits). */
export function commandOf(step: Step): string[] {
  switch (step.kind) {
    case 'sysctl':
      return ['sysctl', '-w', `${step.key}=${step.value}`];
    case 'addr-add':
      return ['ip', 'addr', 'add', cidr(step.vip), 'dev', VIP_DEVICE];
    case 'addr-del':
      return ['ip', 'addr', 'del', cidr(step.vip), 'dev', VIP_DEVICE];
  }
}

export function planUp(
  vips: readonly string[],
  host: HostView,
  recorded: RealServerRecord | undefined,
): { steps: Step[]; record: RealServerRecord } {
  const steps: Step[] = [];
  for (const [key, value] of Object.entries(DR_SYSCTLS)) {
    if (host.sysctls[key] !== value) steps.push({ kind: 'sysctl', key, value });
  }
  const added = new Set(recorded?.addedVips ?? []);
  for (const vip of vips) {
    if (host.loAddresses.includes(cidr(vip))) continue;
    steps.push({ kind: 'addr-add', vip });
    added.add(vip);
  }
  const record: RealServerRecord = {
    version: 1,
    vips: [...new Set([...(recorded?.vips ?? []), ...vips])],
    addedVips: [...added],
    // The first `up` remembers; a later one must not take its own values for the originals.
    sysctlsBefore: recorded?.sysctlsBefore ?? pick(host.sysctls, Object.keys(DR_SYSCTLS)),
  };
  return { steps, record };
}

export interface DownPlan {
  steps: Step[];
  /** What is left alone, and why. */
  notes: string[];
  /** What stays recorded (VIPs not taken down yet); undefined: nothing, the record goes. */
  record: RealServerRecord | undefined;
}

/** `down` for `vips` (all recorded ones when empty). Sysctls go back only when no recorded VIP is left. */
export function planDown(vips: readonly string[], host: HostView, recorded: RealServerRecord): DownPlan {
  const steps: Step[] = [];
  const notes: string[] = [];
  const taking = vips.length > 0 ? vips : recorded.vips;
  for (const vip of taking) {
    if (!recorded.vips.includes(vip)) notes.push(`${vip}: not set up by realserver up, left alone`);
    else if (!recorded.addedVips.includes(vip))
      notes.push(`${vip}: was on ${VIP_DEVICE} before realserver up, left there`);
    else if (host.loAddresses.includes(cidr(vip))) steps.push({ kind: 'addr-del', vip });
    else notes.push(`${vip}: already gone from ${VIP_DEVICE}`);
  }
  const left = recorded.vips.filter((v) => !taking.includes(v));
  if (left.length > 0) {
    const record = { ...recorded, vips: left, addedVips: recorded.addedVips.filter((v) => left.includes(v)) };
    notes.push(`ARP settings kept: still set up for ${left.join(', ')}`);
    return { steps, notes, record };
  }
  for (const [key, before] of Object.entries(recorded.sysctlsBefore)) {
    const now = host.sysctls[key];
    if (now === before) continue;
    if (now !== DR_SYSCTLS[key]) {
      notes.push(`${key} is ${now} (changed since realserver up set ${DR_SYSCTLS[key]}): left alone, was ${before}`);
      continue;
    }
    steps.push({ kind: 'sysctl', key, value: before });
  }
  return { steps, notes, record: undefined };
}

export interface StatusReport {
  /** Each VIP: on lo or not. */
  vips: Array<{ vip: string; onLo: boolean }>;
  sysctls: Array<{ key: string; value: string | undefined; wanted: string }>;
  /** Every VIP on lo and every sysctl as `up` sets it. */
  up: boolean;
}

export function realServerStatus(vips: readonly string[], host: HostView): StatusReport {
  const v = vips.map((vip) => ({ vip, onLo: host.loAddresses.includes(cidr(vip)) }));
  const s = Object.entries(DR_SYSCTLS).map(([key, wanted]) => ({ key, value: host.sysctls[key], wanted }));
  return { vips: v, sysctls: s, up: v.length > 0 && v.every((x) => x.onLo) && s.every((x) => x.value === x.wanted) };
}

function pick(from: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]!]));
}
