/** What every drain driver is and returns: the interface the verifier drives a director through. */
import { sameHostPort } from '@lvs-drain-kit/common';

/** A real server or a virtual service address. */
export interface RealServerRef {
  host: string;
  port: number;
}

/** The service being drained: its virtual address. */
export interface ServiceRef {
  vip: RealServerRef;
}

/** One real server as the director sees it. */
export interface DirectorServer {
  host: string;
  port: number;
  weight: number;
  /** ipvsadm's words: Route, Masq, Tunnel, Local; other drivers may leave it out. */
  forwarding?: string;
  /** A tunnel's type, port and checksum as ipvsadm --tun-info prints them (`gue:6080:-c`). */
  tunnel?: string;
  activeConn?: number;
  inactConn?: number;
}

/**
 * The connections a director holds for one real server of a service, as it counts them: `active` are
 * established, `inactive` are closing or closed and not yet forgotten (IPVS InActConn, conntrack's
 * TIME_WAIT …; undefined where the director keeps none, as HAProxy).
 */
export interface ConnectionCount {
  host: string;
  port: number;
  active: number;
  inactive?: number;
}

/** What a driver could read from the director; everything but `servers` is best effort. */
export interface DirectorState {
  /** How the director picks a server, in its own words (`wrr`, `sh`, `jhash ip saddr mod 2`). */
  scheduler?: string;
  /** A persistent service's template timeout in seconds (`ipvsadm -p`). */
  persistent?: number;
  servers: DirectorServer[];
  /** `uname -r` of the director, where it is a Linux kernel. */
  kernel?: string;
  /** e.g. `net.ipv4.vs.conn_reuse_mode: "1"`. */
  sysctls?: Record<string, string>;
  /** Settings known to break drains, in one line each. */
  warnings?: string[];
  /** The text the state was parsed from, for the JSON report. */
  raw?: string;
}

/**
 * One connection in the director's own table: the client's address and port as the director sees them,
 * and the real server it was given. This is how a verifier knows which server holds its connection
 * without asking the service.
 */
export interface DirectorConnection {
  client: RealServerRef;
  server: RealServerRef;
  /** The director's word for the connection's state (ESTABLISHED, FIN_WAIT, SYN_RECV …), where it has one. */
  state?: string;
}

/**
 * Puts a real server's weight down and back up on some director.
 * One implementation per file in drivers/; `createDriver` builds them from a `DriverSpec` (spec.ts).
 */
export interface DrainDriver {
  /** Its kind (see spec.ts), or a variant's name. */
  readonly name: string;
  /** For people, e.g. "ipvsadm via ssh root@lb1". */
  readonly description: string;
  /** The service's transport protocol where the driver knows it (drain-test probes tcp only). */
  readonly protocol?: 'tcp' | 'udp' | 'sctp';
  /** False where getWeight can never read a weight (a command driver without --get-cmd). Default true. */
  readonly readsWeight?: boolean;
  /**
   * False where every weight above 0 puts the server back the same way (a command driver whose restore
   * command has no {weight}): a run may then drain a server whose weight it cannot read. Default true.
   */
  readonly restoreNeedsWeight?: boolean;
  /** Reads what can be read; throws DriverError if the director cannot be reached (exit 3). */
  inspect(service: ServiceRef): Promise<DirectorState>;
  /** The current weight, or undefined where the driver cannot read it. */
  getWeight(service: ServiceRef, real: RealServerRef): Promise<number | undefined>;
  setWeight(service: ServiceRef, real: RealServerRef, weight: number): Promise<void>;
  /** One line naming what setting `weight` runs, for the report (`ipvsadm -e …`, `command: …`); default: the description. */
  describeChange?(service: ServiceRef, real: RealServerRef, weight: number): string;
  /** The exact command a person would run to put `weight` back by hand (exit-4 messages, the journal). */
  manualCommand(service: ServiceRef, real: RealServerRef, weight: number): string;
  /** Where `listConnections` reads, for people (`ipvsadm -L -n -c`); set together with it. */
  readonly connectionTable?: string;
  /** The service's connections in the director's table; absent where the driver cannot list them. */
  listConnections?(service: ServiceRef): Promise<DirectorConnection[]>;
  /**
   * Per real server of the service, the connections the director holds now (see connection-counts.ts);
   * absent where the driver cannot read them (command, manual).
   */
  connectionCounts?(service: ServiceRef): Promise<ConnectionCount[]>;
}

/**
 * Whether the director's entry `listed` is the real server `real`, however its address was spelled. Port
 * 0 is a firewall-mark service's real server added without a port: it takes the packet's port.
 */
export function isListedAs(listed: { host: string; port: number }, real: RealServerRef): boolean {
  return sameHostPort(listed, { host: real.host, port: listed.port === 0 ? 0 : real.port });
}
