import { writeFile } from 'node:fs/promises';
import { AddressError, DurationError, parseHostPort } from '@lvs-drain-kit/common';
import type { DriverSpec } from '@lvs-drain-kit/drivers';
import { createDriver } from '@lvs-drain-kit/drivers';
import type { DrainTestFlags } from '../args.js';
import type { ConfigValues } from '../config.js';
import { exitCodeForReport, UsageError } from '../errors.js';
import { type BuiltinLab, startBuiltinLab } from '../lab/builtin.js';
import { type Misbehaviour, parseMisbehaviours } from '../lab/misbehaviour.js';
import { drainTestOnLabEngine, isRealEngine } from '../lab-engines.js';
import type { DrainTestOptions, RealSpec } from '../options.js';
import { createProgressPrinter, useColor } from '../progress-printer.js';
import { parseRealSpec } from '../real-spec.js';
import { renderHuman } from '../report/human.js';
import { runDrainTest } from '../run/drain-test.js';

/** The driver spec the flags describe (or undefined when no driver flag was given). */
export function driverSpecFromFlags(f: DrainTestFlags): DriverSpec | undefined {
  switch (f.driver) {
    case undefined:
      return undefined;
    case 'ipvsadm':
      return { kind: 'ipvsadm', ...(f.director ? { director: f.director } : {}) };
    case 'haproxy':
      if (!f.haproxySocket || !f.haproxyBackend)
        throw new UsageError('--driver haproxy needs --haproxy-socket and --haproxy-backend');
      return {
        kind: 'haproxy',
        socket: f.haproxySocket,
        backend: f.haproxyBackend,
        ...(f.haproxyServer ? { server: f.haproxyServer } : {}),
      };
    case 'command':
      if (!f.drainCmd || !f.restoreCmd) throw new UsageError('--driver command needs --drain-cmd and --restore-cmd');
      return {
        kind: 'command',
        drainCmd: f.drainCmd,
        restoreCmd: f.restoreCmd,
        ...(f.getCmd ? { getCmd: f.getCmd } : {}),
      };
    case 'manual':
      return { kind: 'manual' };
    case 'builtin':
      if (!f.control)
        throw new UsageError('--driver builtin needs --control HOST:PORT (printed by `lvs-verify lab up`)');
      return { kind: 'builtin', control: f.control };
    case 'nft':
      if (!f.nftTable || !f.nftChain || !f.nftMap)
        throw new UsageError('--driver nft needs --nft-table, --nft-chain and --nft-map');
      return {
        kind: 'nft',
        table: f.nftTable,
        chain: f.nftChain,
        map: f.nftMap,
        ...(f.nftNetns ? { netns: f.nftNetns } : f.director ? { director: f.director } : {}),
      };
    default:
      throw new UsageError(`unknown --driver ${f.driver}`);
  }
}

function resolveDrain(text: string, reals: RealSpec[]): { host: string; port: number } {
  const byName = reals.find((r) => r.name === text);
  if (byName) return byName;
  try {
    return parseHostPort(text);
  } catch (err) {
    throw new UsageError(`--drain ${text}: neither HOST:PORT nor the name of a --real (${(err as Error).message})`);
  }
}

type Target = Pick<DrainTestOptions, 'vip' | 'reals' | 'drain'> & { driverSpec: DriverSpec };

/** Flags (and a config file) → what to test; flags win over the file. */
async function targetFromFlags(f: DrainTestFlags): Promise<{ target: Target; config?: ConfigValues }> {
  // zod and yaml load only when a file is given: they are most of the start-up time.
  const config = f.config ? await (await import('../config.js')).loadConfig(f.config) : undefined;
  try {
    const reals = f.real.length > 0 ? f.real.map(parseRealSpec) : (config?.reals ?? []);
    const vip = f.vip ? parseHostPort(f.vip) : config?.vip;
    const drain = f.drain ? resolveDrain(f.drain, reals) : config?.drain;
    const driverSpec = driverSpecFromFlags(f) ?? config?.driver;
    if (!vip) throw new UsageError('missing --vip HOST:PORT (or --config FILE, or --lab)');
    if (reals.length < 2)
      throw new UsageError('give at least two --real HOST:PORT: one to drain, one to take the load');
    if (!drain) throw new UsageError('missing --drain HOST:PORT');
    if (!driverSpec) throw new UsageError('missing --driver ipvsadm|haproxy|command|manual|builtin');
    return { target: { vip, reals, drain, driverSpec }, ...(config ? { config } : {}) };
  } catch (err) {
    throw err instanceof AddressError || err instanceof DurationError ? new UsageError(err.message) : err;
  }
}

function labPassThrough(rawArgs: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === '--lab') {
      if (rawArgs[i + 1] !== undefined && !rawArgs[i + 1]!.startsWith('-')) i++;
      continue;
    }
    if (a.startsWith('--lab=')) continue;
    out.push(a);
  }
  return out;
}

/** `--lab` (builtin): two rs-servers and the userspace director, misbehaving on request. */
async function startLab(f: DrainTestFlags, stderr: NodeJS.WritableStream): Promise<BuiltinLab> {
  let misbehave: Misbehaviour[];
  try {
    misbehave = parseMisbehaviours(f.labMisbehave ? f.labMisbehave.split(',').map((s) => s.trim()) : []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  stderr.write(
    `starting the builtin lab (2 rs-server processes, userspace wrr director on loopback)${misbehave.length ? `, misbehaving: ${misbehave.join(', ')}` : ''}\n`,
  );
  return startBuiltinLab({ misbehave });
}

/** The lab's servers, drained by `--drain` (a name or HOST:PORT) or rs1. */
function labTarget(lab: BuiltinLab, f: DrainTestFlags): Target {
  const reals = lab.reals.map((r) => ({ host: r.host, port: r.port, name: r.name }));
  return { vip: lab.vip, reals, drain: f.drain ? resolveDrain(f.drain, reals) : reals[0]!, driverSpec: lab.driver };
}

export interface DrainTestIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  signal: AbortSignal;
}

/** `lvs-verify drain-test`: resolves with the exit code. */
export async function drainTestCommand(f: DrainTestFlags, rawArgs: string[], io: DrainTestIo): Promise<number> {
  const engine = f.lab === undefined ? undefined : f.lab === true ? 'builtin' : String(f.lab);
  if (engine !== undefined && engine !== 'builtin') {
    if (!isRealEngine(engine)) throw new UsageError(`--lab ${engine}: expected builtin, ipvs, nft or haproxy`);
    return drainTestOnLabEngine(engine, labPassThrough(rawArgs));
  }
  if (f.labMisbehave && engine !== 'builtin') throw new UsageError('--lab-misbehave works with --lab (builtin) only');
  let lab: BuiltinLab | undefined;
  try {
    let target: Target;
    let config: ConfigValues | undefined;
    if (engine === 'builtin') {
      lab = await startLab(f, io.stderr);
      target = labTarget(lab, f);
    } else {
      ({ target, config } = await targetFromFlags(f));
    }
    io.signal.throwIfAborted();
    const driver = await createDriver(target.driverSpec);
    const report = await runDrainTest({
      ...target,
      driver,
      connections: f.connections ?? config?.connections,
      newConnections: f.newConnections ?? config?.newConnections,
      holdMs: f.hold ?? config?.holdMs,
      intervalMs: f.interval ?? config?.intervalMs,
      timeoutMs: f.timeout ?? config?.timeoutMs,
      restoreTimeoutMs: f.restoreTimeout ?? config?.restoreTimeoutMs,
      restoreWeight: f.restoreWeight ?? config?.restoreWeight,
      restore: f.restore === false ? false : (config?.restore ?? true),
      strict: f.strict ?? config?.strict ?? false,
      ...(f.journal ? { journalPath: f.journal } : {}),
      onProgress: createProgressPrinter(io.stderr),
      signal: io.signal,
    });
    if (f.junit) await writeFile(f.junit, (await import('../report/junit.js')).buildJunit(report));
    if (f.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout.write(renderHuman(report, { color: useColor(io.stdout) }));
    return exitCodeForReport(report);
  } finally {
    await lab?.stop();
  }
}
