import { formatHostPort } from '@lvs-drain-kit/common';
import { createDirectorTransport, createDriver, type DrainDriver } from '@lvs-drain-kit/drivers';
import type { LabEngine } from '@lvs-drain-kit/lab';
import type { CheckResult, DrainReport } from '@lvs-drain-kit/verify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Breakage } from './support/broken-drivers.js';
import { check, drainInClient, QUICK, startTestLab, summary, type TestLab } from './support/lab-fixture.js';
import { serviceOf } from './support/service.js';

/**
 * drain-test on the operator's own service, through every real engine: the lab's HTTP service (Debian's
 * nginx on each real server, X-Served-By naming it) probed with --probe http; rs-server probed as a bare
 * TCP service whose server only the director's connection table names; and every connection of a long
 * run attributed by both the director and the answers, which must never disagree.
 */

const HTTP = { kind: 'http', identityHeader: 'X-Served-By' } as const;
// Bytes the service must acknowledge: behind IPVS (DR) and nftables (DNAT) the real server's own ACKs.
const TCP = { kind: 'tcp', send: 'ping\\n' } as const;

/** Failure kinds that are the same outcome seen at slightly different moments (an RST, or the FIN before it). */
const KIND: Record<string, string> = {
  reset: 'cut',
  closed: 'cut',
  timeout: 'timeout',
  'wrong-host': 'wrong-host',
  garbled: 'garbled',
};

/** What two probes of one drain must agree on: the verdict, which checks failed, and how. */
function outcome(r: DrainReport) {
  const failed = r.checks.filter((c: CheckResult) => c.status === 'fail');
  return {
    verdict: r.verdict,
    failed: Object.fromEntries(failed.map((c) => [c.id, [...new Set(c.failures.map((f) => KIND[f.class]))].sort()])),
  };
}

/**
 * Small runs: through the IPVS VM's serial line each connection costs a read of the director's table
 * (0.9 s on 2 busy cores), so a run here holds 4 connections and opens 4 new ones. The balancers are
 * round-robin, so each server holds 2 old connections and a drain that does nothing sends it 2 new ones.
 */
const FEW = { ...QUICK, connections: 4, newConnections: 4 } as const;

/**
 * The long run: 100 old and 200 new connections (and the returns after the restore), each attributed by
 * both sources. Lookups waiting together share one read of the director's table: 150–200 reads, a few
 * milliseconds each on the builtin director and HAProxy, ~40 ms with conntrack and ~250 ms through the
 * IPVS VM's serial line (46 s for the run there on a quiet machine; the bound leaves room for a busy one).
 */
const LONG = { ...QUICK, connections: 100, newConnections: 200, holdMs: 3000, intervalMs: 500 } as const;
const LONG_RUN_MS = 600_000;

/** One run through the line service with identity from both sources: never a disagreement. */
async function crossCheck(lab: TestLab, engine: LabEngine, options: typeof FEW | typeof LONG, runTimeoutMs?: number) {
  const started = performance.now();
  const r = await drainInClient(lab, lab.info.driver, { options }, runTimeoutMs);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  expect(r.verdict, summary(r)).toBe('pass');
  expect(r.identity).toMatchObject({ mode: 'both', disagreements: 0 });
  expect(r.identity!.crossChecked).toBeGreaterThanOrEqual(options.connections + options.newConnections);
  expect(check(r, 'identity-agrees').status).toBe('pass');
  // The numbers the README quotes.
  console.log(
    `${engine}: ${r.identity!.crossChecked} connections cross-checked, ${r.identity!.disagreements} disagreements, ${r.identity!.directorReads} reads of ${r.identity!.director} (mean ${r.identity!.directorReadMeanMs} ms), run ${seconds} s`,
  );
}

interface EngineCase {
  engine: Exclude<LabEngine, 'builtin'>;
  /**
   * The engine's broken drain that kills established flows, and the classes it must show. The other
   * broken drains (flows hanging, moved, a restore that does nothing) are the same verdicts whatever the
   * engine: the tcp probe is held to the line probe's on each of them against the builtin director
   * (packages/verify/test/drain-test-probes.test.ts), and the engines' own lab tests make them fail.
   */
  kill: { name: string; breakage: Breakage; classes: string[]; prepare?: (lab: TestLab) => Promise<void> };
}

async function ipvsSysctl(lab: TestLab, name: string, value: number): Promise<void> {
  if (lab.info.driver.kind !== 'ipvsadm') throw new Error('not an ipvs lab');
  const t = await createDirectorTransport(lab.info.driver.director);
  const r = await t.run(['sh', '-c', `echo ${value} > /proc/sys/net/ipv4/vs/${name}`]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
}

const ENGINES: EngineCase[] = [
  {
    engine: 'ipvs',
    kill: {
      name: 'ipvsadm -d, expire_nodest_conn=1 (flows reset)',
      breakage: 'ipvs-delete',
      classes: ['closed', 'reset'],
      prepare: (l) => ipvsSysctl(l, 'expire_nodest_conn', 1),
    },
  },
  {
    engine: 'nft',
    kill: { name: 'established flows rejected with a reset', breakage: 'nft-kill-established', classes: ['reset'] },
  },
  {
    engine: 'haproxy',
    kill: {
      name: 'shutdown sessions server',
      breakage: 'haproxy-shutdown-sessions',
      classes: ['closed', 'reset'],
    },
  },
];

describe.each(ENGINES)('$engine lab: drain-test on the operator’s own service', ({ engine, kill }) => {
  let lab: TestLab;
  const plain: DrainDriver[] = [];

  beforeAll(async () => {
    lab = await startTestLab(engine);
    for (const s of ['line', 'http'] as const) plain.push(await createDriver(serviceOf(lab.info, s).driver));
  });

  afterAll(async () => {
    await lab?.down();
  });

  /**
   * Every real server of both services at weight 1 again, whatever a broken drain left: read first and
   * change only what differs (through the IPVS VM's serial line each command costs most of a second).
   */
  async function allAtWeightOne(): Promise<void> {
    for (const [i, s] of (['line', 'http'] as const).entries()) {
      const info = serviceOf(lab.info, s);
      for (const r of info.reals) {
        const real = { host: r.host, port: r.port };
        const weight = await plain[i]!.getWeight({ vip: info.vip }, real);
        if (weight === 1) continue;
        if (engine === 'ipvs' && weight === undefined) {
          const t = await createDirectorTransport((lab.info.driver as { director: string }).director);
          await t.run(['ipvsadm', '-a', '-t', formatHostPort(info.vip), '-r', formatHostPort(r), '-g', '-w', '1']);
        } else await plain[i]!.setWeight({ vip: info.vip }, real, 1);
      }
    }
  }

  /** Set by the tests that run a broken drain; a correct drain restores what it changed itself. */
  let broke = false;

  afterEach(async ({ task }) => {
    if (!broke && task.result?.state === 'pass') return;
    broke = false;
    if (engine === 'ipvs') await ipvsSysctl(lab, 'expire_nodest_conn', 0);
    await allAtWeightOne();
  });

  it('--probe http passes a correct drain, each connection attributed by the director and the X-Served-By header alike', async () => {
    const r = await drainInClient(lab, serviceOf(lab.info, 'http').driver, {
      service: 'http',
      options: { ...FEW, probe: HTTP },
    });
    expect(r.verdict, summary(r)).toBe('pass');
    expect(r.vip).toBe(formatHostPort(lab.info.http!.vip));
    expect(r.probe?.kind).toBe('http');
    expect(r.identity).toMatchObject({ mode: 'both', service: 'header X-Served-By', disagreements: 0 });
    expect(r.identity!.crossChecked).toBeGreaterThanOrEqual(FEW.connections + FEW.newConnections);
    expect(check(r, 'identity-agrees').status).toBe('pass');
  });

  it('--probe http: flows killed at the drain fail old-connections-survive, on the drained server only', async () => {
    broke = true;
    await kill.prepare?.(lab);
    const r = await drainInClient(lab, serviceOf(lab.info, 'http').driver, {
      service: 'http',
      breakage: kill.breakage,
      options: { ...FEW, probe: HTTP },
    });
    const old = check(r, 'old-connections-survive');
    expect(old.status, summary(r)).toBe('fail');
    expect(old.failures.length).toBeGreaterThan(0);
    expect(
      [...new Set(old.failures.map((f) => f.class))].every((c) => kill.classes.includes(c)),
      summary(r),
    ).toBe(true);
    expect(old.failures.every((f) => f.server === 'rs1')).toBe(true);
    expect(r.verdict).toBe('fail');
  });

  it('--probe http: new connections still sent to the drained server fail new-connections-avoid-drained (wrong-host)', async () => {
    broke = true;
    const r = await drainInClient(lab, serviceOf(lab.info, 'http').driver, {
      service: 'http',
      breakage: 'drain-noop',
      options: { ...FEW, probe: HTTP },
    });
    const avoid = check(r, 'new-connections-avoid-drained');
    expect(avoid.status, summary(r)).toBe('fail');
    expect(new Set(avoid.failures.map((f) => f.class))).toEqual(new Set(['wrong-host']));
    expect(avoid.failures.every((f) => f.server === 'rs1')).toBe(true);
    expect(check(r, 'old-connections-survive').status).toBe('pass');
  });

  it('--probe tcp --identity director passes a correct drain, as --probe line does (the cross-check below)', async () => {
    const tcp = await drainInClient(lab, lab.info.driver, { options: { ...FEW, probe: TCP, identity: 'director' } });
    expect(tcp.identity).toMatchObject({ mode: 'director' });
    expect(outcome(tcp), summary(tcp)).toEqual({ verdict: 'pass', failed: {} });
  });

  // The line probe attributes by its answers alone here: two independent sources, one verdict.
  it.each([
    { name: kill.name, breakage: kill.breakage, prepare: kill.prepare },
    { name: 'a drain that does nothing (new connections still sent)', breakage: 'drain-noop' as Breakage },
  ])(
    '--probe tcp --identity director gives --probe line’s verdict: $name',
    async ({ breakage, prepare }: { breakage: Breakage; prepare?: (lab: TestLab) => Promise<void> }) => {
      broke = true;
      await prepare?.(lab);
      const line = await drainInClient(lab, lab.info.driver, { breakage, options: { ...FEW, identity: 'service' } });
      await allAtWeightOne();
      await prepare?.(lab);
      const tcp = await drainInClient(lab, lab.info.driver, {
        breakage,
        options: { ...FEW, probe: TCP, identity: 'director' },
      });
      expect(tcp.identity).toMatchObject({ mode: 'director' });
      expect(outcome(tcp), `line:\n${summary(line)}\ntcp:\n${summary(tcp)}`).toEqual(outcome(line));
      expect(outcome(line).verdict).toBe('fail');
    },
  );

  it(
    `--identity both over ${LONG.connections} old and ${LONG.newConnections} new connections: the director and the answers never disagree`,
    async () => {
      await crossCheck(lab, engine, LONG, LONG_RUN_MS);
    },
    LONG_RUN_MS,
  );
});

describe('builtin lab: --identity both over several hundred connections, as on every engine', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await startTestLab('builtin');
  });
  afterAll(async () => {
    await lab?.down();
  });
  it(
    `${LONG.connections} old and ${LONG.newConnections} new connections: the director and the answers never disagree`,
    async () => {
      await crossCheck(lab, 'builtin', LONG, LONG_RUN_MS);
    },
    LONG_RUN_MS,
  );
});
