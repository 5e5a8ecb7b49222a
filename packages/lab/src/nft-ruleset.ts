/**
 * The nft lab director's ruleset (pure): its own table, DNAT to `<hash> mod N map @backends` (the
 * drain driver's balancer, see @lvs-drain-kit/drivers) and masquerade so replies come back through the
 * director. conntrack keeps every established connection on the server it was given, whatever the map
 * says later — like IPVS. The map is declared by `typeof numgen inc`, whatever the rule's hash: nft
 * 1.0.6 crashes listing a map declared `typeof jhash …`, and both keys are 32-bit integers.
 */
import { balancerUpdate, type NftBalancer, numgenSlots, type WeightedAddress } from '@lvs-drain-kit/drivers';

export interface DirectorRuleset extends NftBalancer {
  vip: string;
  /** The service's port, and more services balanced by the same map (the HTTP port). */
  port: number;
  morePorts?: readonly number[];
  /** The lab's scheduler: numgen (`numgen inc`, the default), random (`numgen random`), jhash (`jhash ip saddr`). */
  scheduler?: string;
}

/** The rule's expression for each nft lab scheduler. */
export const NFT_HASH_EXPRESSIONS: Readonly<Record<string, string>> = {
  numgen: 'numgen inc',
  random: 'numgen random',
  jhash: 'jhash ip saddr',
};

/** The whole ruleset of the nft lab director (its own table; the balancing chain is the driver's). */
export function directorRuleset(r: DirectorRuleset, servers: readonly WeightedAddress[]): string {
  return `table ip ${r.table} {
  map ${r.map} {
    typeof numgen inc mod 2 : ip daddr
  }
  chain ${r.chain} {
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${r.vip} tcp dport ${r.morePorts?.length ? `{ ${[r.port, ...r.morePorts].join(', ')} }` : r.port} jump ${r.chain}
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ct status dnat masquerade
  }
}
${balancerUpdate(r, numgenSlots(servers), NFT_HASH_EXPRESSIONS[r.scheduler ?? 'numgen'])}`;
}
