import type { LabEngine } from './plan.js';

/** How a drain driver reaches the lab's director. */
export type DriverSpec =
  | {
      kind: 'ipvsadm';
      /** `serial:<path of the VM's control socket>`, a director transport verify understands. */
      director: string;
    }
  | {
      kind: 'nft';
      /** Namespace the director's nftables ruleset lives in. */
      netns: string;
      family: 'ip';
      table: string;
      /** Regular chain holding only the `dnat to numgen inc mod N map @<map>` rule. */
      chain: string;
      /** Slot → real server address map; a server's weight is how many slots it holds. */
      map: string;
    }
  | {
      kind: 'haproxy';
      /** Runtime API unix socket. */
      socket: string;
      backend: string;
      /** "host:port" of each real server → its HAProxy server name. */
      servers: Record<string, string>;
    };

export interface LabInfo {
  engine: LabEngine;
  id: string;
  vip: { host: string; port: number };
  reals: Array<{ host: string; port: number; name: string }>;
  /** Run clients here: the VIP and the real servers are reachable from this namespace only. */
  clientNetns: string;
  driver: DriverSpec;
  stateDir: string;
  /** Extra facts for reports: kernel release of the VM, package versions, director address. */
  details: Record<string, string>;
}
