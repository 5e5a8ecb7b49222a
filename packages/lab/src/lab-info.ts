import type { BuiltinSpec, HaproxySpec, IpvsadmSpec, KeepalivedSpec, NftSpec } from '@lvs-drain-kit/drivers';
import type { LabEngine } from './plan.js';

/**
 * How a drain driver reaches a lab's director: a DriverSpec of @lvs-drain-kit/drivers, with what each
 * engine always gives made required (the VM's serial channel, the director's namespace).
 */
export type LabDriverSpec =
  | BuiltinSpec
  | (IpvsadmSpec & { director: string })
  | (KeepalivedSpec & { director: string })
  | (NftSpec & { netns: string; family: 'ip' })
  | HaproxySpec;

export interface LabInfo {
  engine: LabEngine;
  id: string;
  vip: { host: string; port: number };
  reals: Array<{ host: string; port: number; name: string }>;
  /**
   * Run clients here: the VIP and the real servers are reachable from this namespace only.
   * Undefined for the builtin lab: clients run on this host.
   */
  clientNetns?: string;
  driver: LabDriverSpec;
  /** The director's scheduler, in the engine's words (LAB_SCHEDULERS); absent in labs made before it was recorded. */
  scheduler?: string;
  /** ipvsadm -b flags of the service. */
  schedulerFlags?: string[];
  /** Persistence timeout of the service in seconds (`ipvsadm -p`). */
  persistent?: number;
  /** More client addresses (CIDR) bound where clients run, for schedulers that go by the client's address. */
  clientSources?: string;
  stateDir: string;
  /**
   * Namespace labs: the same real servers' HTTP service (nginx from Debian, every answer naming its
   * server in `identityHeader`) behind the same director, on the VIP's address and its own port.
   */
  http?: {
    vip: { host: string; port: number };
    reals: Array<{ host: string; port: number; name: string }>;
    /** How a drain driver reaches this service (HAProxy: its own backend). */
    driver: LabDriverSpec;
    identityHeader: string;
  };
  /** Extra facts for reports: kernel release of the VM, package versions, director address. */
  details: Record<string, string>;
}
