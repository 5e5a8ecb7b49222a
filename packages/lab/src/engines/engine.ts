/**
 * The one interface of a lab's director engine (builtin, ipvs, nft, haproxy). `lab.ts` builds what
 * every lab has — namespaces on a bridge or nothing (loopback), the real servers, the state file —
 * and hands the rest to the engine.
 */
import type { CommandResult } from '@lvs-drain-kit/common';
import type { LabDriverSpec, LabInfo } from '../lab-info.js';
import type { LabPlan } from '../plan.js';
import type { LabProcess } from '../state.js';
import type { Misbehaviour } from './builtin/misbehaviour.js';

/** Choices only some engines have; `labUp` refuses one the engine does not list in `options`. */
export interface EngineOptions {
  /**
   * ipvs, builtin: a persistent service (`ipvsadm -A … -p SECONDS`): a client's new connections follow
   * its template to one server until SECONDS after its last connection ended.
   */
  persistent?: number;
  /** ipvs: scheduler flags (`ipvsadm -A … -b sh-fallback,sh-port`). */
  schedulerFlags?: readonly string[];
  /** builtin: deliberate faults of the director (negative controls). */
  misbehave?: readonly Misbehaviour[];
  /** builtin: the lab stops itself when this process exits (a lab that lives as long as one verifier). */
  ownedBy?: number;
}

/** A real server that listens. */
export interface ReadyReal {
  name: string;
  host: string;
  port: number;
  process: LabProcess;
}

/** What every engine gets: the plan, where to put its files, and hooks to record what it starts. */
export interface EngineContext {
  plan: LabPlan;
  stateDir: string;
  cacheDir: string;
  options: EngineOptions;
  log: (line: string) => void;
  /** The real servers once they listen (a port the kernel picked is known only then). */
  reals: Promise<readonly ReadyReal[]>;
  /** Records a process before anything waits on it, so a crash leaves it findable. */
  recordProcess: (p: LabProcess) => Promise<void>;
  recordFile: (name: string) => Promise<void>;
}

export interface EngineResult {
  driver: LabDriverSpec;
  details: Record<string, string>;
  /** The service address, when it is known only once the director listens (builtin: a picked port). */
  vip?: { host: string; port: number };
  /** The driver of the HTTP service (plan.httpPort), where it is not `driver` (HAProxy: another backend). */
  httpDriver?: LabDriverSpec;
}

/** A lab that is up, as `lab status` and `lab exec` see it. */
export interface UpLab {
  plan: LabPlan;
  stateDir: string;
  info: LabInfo;
}

/** Where `lab exec --director -- CMD` runs CMD. */
export type DirectorExec =
  /** Run `[...argvPrefix, ...CMD]` here with the terminal attached (e.g. `ip netns exec <director>`). */
  | { argvPrefix: string[] }
  /** A channel that runs CMD on the director and returns its output (the VM's serial port, a control port). */
  | { run: (argv: readonly string[]) => Promise<CommandResult> };

/**
 * A director engine. `prepare` runs before the namespaces exist (downloads, image builds);
 * `start` runs with the bridge and members in place; `describe` reads the director's state for `lab status`.
 */
export interface DirectorEngine {
  /** For `--help` and messages. */
  description: string;
  /** Namespaces, bridges, kernel tables and taps need root; the builtin engine runs as any user. */
  needsRoot: boolean;
  /**
   * `namespaces`: client, real servers and director in network namespaces on one bridge (198.18.0.0/24).
   * `loopback`: processes on this host's 127.0.0.0/8 (builtin).
   */
  network: 'namespaces' | 'loopback';
  /** Engine options it understands (anything else given is refused). */
  options: ReadonlyArray<keyof EngineOptions>;
  tools: ReadonlyArray<{ name: string; hint: string }>;
  /** Real servers in DR mode need the VIP on lo and ARP settings. */
  directRouting: boolean;
  prepare?(ctx: EngineContext): Promise<Record<string, string>>;
  /** Puts a tap for a VM on the bridge. */
  needsTap: boolean;
  /** Starts the director (runs alongside the real servers' start). */
  start(ctx: EngineContext): Promise<EngineResult>;
  describe(lab: UpLab): Promise<string>;
  /** A command worth running on this director (`lab up` prints it as `lab exec --director -- CMD`). */
  exampleCommand: readonly string[];
  /** How to run a command on the director of a lab that is up. */
  directorExec(lab: UpLab): DirectorExec;
  /**
   * Processes known only from a pid file (a daemon that forked before its PID was recorded, e.g. when
   * `lab up` was killed half-way): `lab down` stops these too.
   */
  pidFiles?(stateDir: string): Array<{ file: string; role: string; cmdlineMarkers: string[] }>;
}
