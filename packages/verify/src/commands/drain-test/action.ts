import { writeFile } from 'node:fs/promises';
import { AddressError, AddressResolver, DurationError, parseHostPort } from '@lvs-drain-kit/common';
import { createDriver, type DriverSpec, driverKindList, specFromFlags } from '@lvs-drain-kit/drivers';
import { isLabEngine, LAB_ENGINES, type LabInfo, type Misbehaviour, parseMisbehaviours } from '@lvs-drain-kit/lab';
import { EnvironmentError, exitCodeForReport, UsageError } from '../../errors.js';
import { drainTestOnLabEngine, type LabSetup, labSetup, startOwnedLab } from '../../lab-engines.js';
import { type ConfigValues, type DrainTestFlags, PROBE_SETTINGS, RUN_SETTINGS } from '../../options/drain-test.js';
import { clientAddresses, type DrainTestOptions, type RealSpec, resolveSettings } from '../../options.js';
import { type ProbeSettings, probeSpecFrom } from '../../probe/spec.js';
import { createProgressPrinter, useColor } from '../../progress-printer.js';
import { parseRealSpec } from '../../real-spec.js';
import { renderHuman } from '../../report/human.js';
import { stringifyReport } from '../../report/json.js';
import { runDrainTest } from '../../run/drain-test.js';
import { assertWritable, writeHtmlReport } from '../write-html.js';

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
async function targetFromFlags(input: DrainTestInput): Promise<{ target: Target; config?: ConfigValues }> {
  const f = input.flags;
  // zod and yaml load only when a file is given: they are most of the start-up time.
  const config = f.config ? await (await import('../../config.js')).loadConfig(f.config) : undefined;
  try {
    const reals = f.reals?.length ? f.reals.map(parseRealSpec) : (config?.reals ?? []);
    const vip = f.vip ? parseHostPort(f.vip) : config?.vip;
    const drain = f.drain ? resolveDrain(f.drain, reals) : config?.drain;
    const driverSpec = f.driver ? await specFromFlags(f.driver, input.driverFlags) : config?.driver;
    if (!vip) throw new UsageError('missing --vip HOST:PORT (or --config FILE, or --lab)');
    if (reals.length < 2)
      throw new UsageError('give at least two --real HOST:PORT: one to drain, one to take the load');
    if (!drain) throw new UsageError('missing --drain HOST:PORT');
    if (!driverSpec) throw new UsageError(`missing --driver ${driverKindList()}`);
    return { target: { vip, reals, drain, driverSpec }, ...(config ? { config } : {}) };
  } catch (err) {
    throw err instanceof AddressError || err instanceof DurationError ? new UsageError(err.message) : err;
  }
}

/**
 * The target with every host name resolved once, addresses in their one spelling (`canonicalHost`): the
 * probes, the director's table and the journal then all speak of the same address.
 */
async function resolveTarget(t: Target): Promise<Target> {
  const resolver = new AddressResolver();
  try {
    return {
      ...t,
      vip: await resolver.resolve(t.vip),
      reals: await Promise.all(t.reals.map((r) => resolver.resolve(r))),
      drain: await resolver.resolve(t.drain),
    };
  } catch (err) {
    throw err instanceof AddressError ? new EnvironmentError(err.message) : err;
  }
}

/** The run's settings: a flag given on the command line wins over the file, the file over the defaults. */
export function runSettings(
  input: Pick<DrainTestInput, 'flags' | 'given'>,
  config: ConfigValues | undefined,
): Partial<DrainTestOptions> {
  const pick = (keys: readonly string[]) => {
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const value = input.given.has(key)
        ? input.flags[key as keyof DrainTestFlags]
        : config?.[key as keyof ConfigValues];
      if (value !== undefined) out[key] = value;
    }
    return out;
  };
  const probe = pick(PROBE_SETTINGS) as ProbeSettings;
  return { ...pick(RUN_SETTINGS), ...(Object.keys(probe).length > 0 ? { probe: probeSpecFrom(probe) } : {}) };
}

/** drain-test's arguments for the verifier inside a lab: without `--lab` and the lab's own `--lab-…` options. */
export function labPassThrough(rawArgs: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === '--lab') {
      if (rawArgs[i + 1] !== undefined && !rawArgs[i + 1]!.startsWith('-')) i++;
      continue;
    }
    // Every --lab-… option takes a value: the next argument, or after `=`.
    if (/^--lab-[a-z-]+$/.test(a)) {
      i++;
      continue;
    }
    if (a.startsWith('--lab=') || /^--lab-[a-z-]+=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

/** The lab director's set-up from drain-test's --lab-… flags. */
function labSetupOf(f: DrainTestFlags): LabSetup {
  return labSetup({
    ...(f.labScheduler !== undefined ? { scheduler: f.labScheduler } : {}),
    ...(f.labPersistent !== undefined ? { persistent: f.labPersistent } : {}),
    ...(f.labSchedFlags !== undefined ? { schedFlags: f.labSchedFlags } : {}),
  });
}

/** `--lab` (builtin): two rs-servers and the userspace director, misbehaving on request. */
async function startLab(f: DrainTestFlags, stderr: NodeJS.WritableStream): ReturnType<typeof startOwnedLab> {
  let misbehave: Misbehaviour[];
  try {
    misbehave = parseMisbehaviours(f.labMisbehave ? f.labMisbehave.split(',').map((s) => s.trim()) : []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  stderr.write(
    `starting the builtin lab (2 rs-server processes, userspace wrr director on loopback)${misbehave.length ? `, misbehaving: ${misbehave.join(', ')}` : ''}\n`,
  );
  return startOwnedLab(misbehave, labSetupOf(f));
}

/** The lab's servers, drained by `--drain` (a name or HOST:PORT) or rs1. */
function labTarget(lab: LabInfo, f: DrainTestFlags): Target {
  const reals = lab.reals.map((r) => ({ host: r.host, port: r.port, name: r.name }));
  return { vip: lab.vip, reals, drain: f.drain ? resolveDrain(f.drain, reals) : reals[0]!, driverSpec: lab.driver };
}

/** What the command line gave: drain-test's flags, which of them were typed, the driver's flags by name. */
export interface DrainTestInput {
  flags: DrainTestFlags;
  given: ReadonlySet<string>;
  driverFlags: Readonly<Record<string, unknown>>;
  /** The arguments after `drain-test`, passed on to a real-engine lab's verifier. */
  rawArgs: string[];
}

export interface DrainTestIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  signal: AbortSignal;
}

/** `lvs-verify drain-test`: resolves with the exit code. */
export async function drainTestCommand(input: DrainTestInput, io: DrainTestIo): Promise<number> {
  const f = input.flags;
  const engine = f.lab === undefined ? undefined : f.lab === true ? 'builtin' : String(f.lab);
  // A file that cannot be written is found before the run, not after it.
  if (f.junit) await assertWritable('--junit', f.junit);
  if (f.html) await assertWritable('--html', f.html);
  if (engine !== undefined && engine !== 'builtin') {
    if (!isLabEngine(engine)) throw new UsageError(`--lab ${engine}: expected one of ${LAB_ENGINES.join(', ')}`);
    return drainTestOnLabEngine(engine, labPassThrough(input.rawArgs), labSetupOf(f));
  }
  if (engine === undefined && (f.labScheduler || f.labPersistent || f.labSchedFlags)) {
    throw new UsageError('--lab-scheduler, --lab-persistent and --lab-sched-flags set up a lab: give --lab too');
  }
  if (f.labMisbehave && engine !== 'builtin') throw new UsageError('--lab-misbehave works with --lab (builtin) only');
  let lab: Awaited<ReturnType<typeof startOwnedLab>> | undefined;
  try {
    let target: Target;
    let config: ConfigValues | undefined;
    if (engine === 'builtin') {
      if (f.probe === 'http')
        throw new UsageError(
          '--probe http: the builtin lab serves rs-server only; the ipvs, keepalived, nft and haproxy labs also serve HTTP (--lab nft --probe http)',
        );
      // Settings that would make a vacuous test are refused before anything starts.
      resolveSettings(runSettings(input, undefined));
      lab = await startLab(f, io.stderr);
      target = labTarget(lab.info, f);
    } else {
      ({ target, config } = await targetFromFlags(input));
      target = await resolveTarget(target);
    }
    io.signal.throwIfAborted();
    const settings = runSettings(input, config);
    try {
      clientAddresses(settings.sources, settings.sourceRange);
    } catch (err) {
      throw err instanceof AddressError ? new UsageError(err.message) : err;
    }
    const driver = await createDriver(target.driverSpec);
    const report = await runDrainTest({
      ...target,
      driver,
      ...settings,
      ...(f.journalPath ? { journalPath: f.journalPath } : {}),
      onProgress: createProgressPrinter(io.stderr),
      signal: io.signal,
    });
    if (f.junit) await writeFile(f.junit, (await import('../../report/junit.js')).buildJunit(report));
    if (f.html) await writeHtmlReport(report, f.html, io.stderr);
    if (f.json) io.stdout.write(`${stringifyReport(report)}\n`);
    else io.stdout.write(renderHuman(report, { color: useColor(io.stdout) }));
    return exitCodeForReport(report);
  } finally {
    await lab?.down();
  }
}
