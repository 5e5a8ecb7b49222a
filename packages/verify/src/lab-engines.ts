/**
 * The real-engine labs (ipvs, nft, haproxy) of @lvs-drain-kit/lab, as the CLI calls them.
 * This module is the seam between lvs-verify and the lab package: `lab up|down|status|exec`
 * and `drain-test --lab ENGINE` for engines other than `builtin` land here.
 */
import { EnvironmentError } from './errors.js';

export const REAL_ENGINES = ['ipvs', 'nft', 'haproxy'] as const;
export type RealEngine = (typeof REAL_ENGINES)[number];

export function isRealEngine(engine: string): engine is RealEngine {
  return (REAL_ENGINES as readonly string[]).includes(engine);
}

function notWired(engine: string): never {
  throw new EnvironmentError(`lab engine "${engine}" is not available in this build; use --engine builtin`);
}

/** `lab up --engine ENGINE`: prints what is up. */
export async function labUpEngine(engine: RealEngine, _out: (line: string) => void): Promise<void> {
  notWired(engine);
}

export async function labDownEngine(engine: RealEngine, _out: (line: string) => void): Promise<void> {
  notWired(engine);
}

export async function labStatusEngine(engine: RealEngine, _out: (line: string) => void): Promise<void> {
  notWired(engine);
}

/** `lab exec --engine ENGINE -- CMD`: runs CMD in the lab's client namespace; resolves with its exit code. */
export async function labExecEngine(engine: RealEngine, _argv: string[]): Promise<number> {
  notWired(engine);
}

/**
 * `drain-test --lab ENGINE`: up, run the verifier inside the client namespace with explicit flags
 * (`--vip --real --drain --driver ... ` plus `passThrough`), down. Resolves with the verifier's exit code.
 */
export async function drainTestOnLabEngine(engine: RealEngine, _passThrough: string[]): Promise<number> {
  notWired(engine);
}
