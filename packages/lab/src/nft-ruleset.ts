/**
 * The nft lab director's ruleset (pure): its own table, DNAT to `numgen inc mod N map @backends` (the
 * drain driver's balancer, see @lvs-drain-kit/drivers) and masquerade so replies come back through the
 * director. conntrack keeps every established connection on the server it was given, whatever the map
 * says later — like IPVS.
 */
import { balancerUpdate, type NftBalancer, numgenSlots, type WeightedAddress } from '@lvs-drain-kit/drivers';

export interface DirectorRuleset extends NftBalancer {
  vip: string;
  /** The service's port, and more services balanced by the same map (the HTTP port). */
  port: number;
  morePorts?: readonly number[];
}

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
${balancerUpdate(r, numgenSlots(servers))}`;
}
