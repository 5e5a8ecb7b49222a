import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriver, type DrainDriver } from '@lvs-drain-kit/drivers';
import { type LabDirector, type Misbehaviour, startLabDirector } from '@lvs-drain-kit/lab';
import { type RsServer, startRsServer } from '@lvs-drain-kit/server';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForReport } from '../src/errors.js';
import type { DrainTestOptions } from '../src/options.js';
import type { DrainReport } from '../src/report/types.js';
import { runDrainTest } from '../src/run/drain-test.js';

/**
 * drain-test through each probe against the builtin lab director, in this process: HTTP servers that
 * name themselves in X-Served-By (and one that lies), or rs-servers probed as a bare TCP service whose
 * server only the director's table names. Each broken drain fails the same check with the same class
 * whichever probe runs.
 */
interface Lab {
  base: Omit<DrainTestOptions, 'driver'>;
  driver: DrainDriver;
  director: LabDirector;
  close(): Promise<void>;
}

const labs: Lab[] = [];
afterEach(async () => {
  for (const l of labs.splice(0)) await l.close();
});

const FAST = {
  holdMs: 600,
  intervalMs: 50,
  timeoutMs: 500,
  restoreTimeoutMs: 1000,
  connections: 6,
  newConnections: 12,
};

async function lab(backends: 'http' | 'rs', misbehave: Misbehaviour[] = [], lie?: (n: number) => string | undefined) {
  const closers: Array<() => Promise<void>> = [];
  const reals: Array<{ host: string; port: number }> = [];
  for (const [i, host] of ['127.0.0.2', '127.0.0.3'].entries()) {
    const name = `web${i + 1}`;
    if (backends === 'http') {
      let n = 0;
      const server: Server = createServer(
        { keepAliveTimeout: 60_000 },
        (_req: IncomingMessage, res: ServerResponse) => {
          res.setHeader('X-Served-By', (i === 0 ? lie?.(n++) : undefined) ?? name);
          res.end('ok\n');
        },
      );
      await new Promise<void>((r) => server.listen(0, host, r));
      reals.push({ host, port: (server.address() as { port: number }).port });
      closers.push(async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      });
    } else {
      const rs: RsServer = await startRsServer({
        port: 0,
        host,
        name,
        maxLineBytes: 4096,
        idleTimeoutMs: 0,
        maxConnections: 0,
        keepAliveMs: 0,
        log: pino({ level: 'silent' }),
      });
      reals.push({ host, port: rs.address.port });
      closers.push(() => rs.destroy());
    }
  }
  const director = await startLabDirector({
    vip: { host: '127.0.0.1', port: 0 },
    control: { host: '127.0.0.1', port: 0 },
    reals,
    misbehave,
  });
  const dir = await mkdtemp(join(tmpdir(), 'ldk-probes-'));
  const l: Lab = {
    base: {
      vip: { host: '127.0.0.1', port: director.vip.port },
      reals: reals.map((r, i) => ({ ...r, name: `web${i + 1}` })),
      drain: reals[0]!,
      journalPath: join(dir, 'journal.json'),
      ...FAST,
    },
    driver: await createDriver({ kind: 'builtin', control: `127.0.0.1:${director.control.port}` }),
    director,
    async close() {
      await director.close();
      for (const c of closers) await c();
      await rm(dir, { recursive: true, force: true });
    },
  };
  labs.push(l);
  return l;
}

const HTTP = { kind: 'http', identityHeader: 'X-Served-By' } as const;
// A request and its answer: the builtin director is a userspace relay that acknowledges what it reads
// itself, so acknowledged bytes alone would not show a relay that stopped forwarding (hang-old).
const TCP = { kind: 'tcp', send: 'ping\\n', expect: "^it's from" } as const;

/** The verdict and, per failed check, the failure classes: what two probes must agree on. */
function outcome(r: DrainReport) {
  return {
    verdict: r.verdict,
    failed: Object.fromEntries(
      r.checks
        .filter((c) => c.status === 'fail')
        .map((c) => [c.id, [...new Set(c.failures.map((f) => f.class))].sort()]),
    ),
  };
}

describe('drain-test --probe http (the operator’s own HTTP service)', () => {
  it('passes a correct drain, every connection attributed by the director and the answer alike', async () => {
    const l = await lab('http');
    const r = await runDrainTest({ ...l.base, driver: l.driver, probe: HTTP });
    expect(outcome(r), JSON.stringify(r.checks)).toEqual({ verdict: 'pass', failed: {} });
    expect(r.probe).toEqual({ kind: 'http', description: 'http GET / (2xx,3xx)' });
    expect(r.identity).toMatchObject({ mode: 'both', service: 'header X-Served-By', disagreements: 0 });
    expect(r.identity!.crossChecked).toBeGreaterThanOrEqual(FAST.connections + FAST.newConnections);
    // The HTTP probe closes server-first: the reused port could be bound and was judged.
    expect(r.checks.find((c) => c.id === 'reused-source-port')?.status).toBe('pass');
    expect(r.checks.find((c) => c.id === 'identity-agrees')?.status).toBe('pass');
  });

  it('flows killed at the drain fail old-connections-survive (reset); new connections still sent fail new-connections-avoid-drained (wrong-host)', async () => {
    const reset = await lab('http', ['reset-old']);
    const r1 = await runDrainTest({ ...reset.base, driver: reset.driver, probe: HTTP });
    expect(outcome(r1)).toEqual({ verdict: 'fail', failed: { 'old-connections-survive': ['reset'] } });
    expect(r1.checks.find((c) => c.id === 'old-connections-survive')!.failures.every((f) => f.server === 'web1')).toBe(
      true,
    );
    const leak = await lab('http', ['leak-new']);
    const r2 = await runDrainTest({ ...leak.base, driver: leak.driver, probe: HTTP });
    expect(outcome(r2)).toEqual({ verdict: 'fail', failed: { 'new-connections-avoid-drained': ['wrong-host'] } });
  });

  it('a service whose answers name another server than the director fails identity-agrees, a check of the verifier itself', async () => {
    // web1 names itself when asked directly, then says web2 on every third connection's answers.
    const l = await lab('http', [], (n) => (n > 0 && n % 3 === 0 ? 'web2' : undefined));
    const r = await runDrainTest({ ...l.base, driver: l.driver, probe: HTTP });
    const check = r.checks.find((c) => c.id === 'identity-agrees')!;
    expect(check.status).toBe('fail');
    expect(check.failures.length).toBeGreaterThan(0);
    expect(check.failures[0]!.detail).toBe('the director says web1, the answer web2');
    expect(r.identity!.disagreements).toBe(check.failures.length);
    expect(r.verdict).toBe('fail');
  });
});

describe('drain-test --probe tcp --identity director against rs-server: the same verdicts as --probe line', () => {
  const cases: Array<[string, Misbehaviour[]]> = [
    ['a correct drain', []],
    ['flows reset at the drain', ['reset-old']],
    ['flows silently dropped at the drain', ['hang-old']],
    ['flows closed at the drain', ['close-old']],
    ['flows moved to another server', ['reroute-old']],
    ['new connections still sent to the drained server', ['leak-new']],
    ['a restore that does nothing', ['ignore-restore']],
  ];
  it.each(cases)('%s', async (_name, misbehave) => {
    const a = await lab('rs', misbehave);
    const line = await runDrainTest({ ...a.base, driver: a.driver });
    const b = await lab('rs', misbehave);
    const tcp = await runDrainTest({ ...b.base, driver: b.driver, probe: TCP, identity: 'director' });
    expect(tcp.identity).toMatchObject({ mode: 'director', crossChecked: 0 });
    expect(outcome(tcp), JSON.stringify(tcp.checks)).toEqual(outcome(line));
    expect(misbehave.length === 0 ? outcome(line).verdict : 'fail').toBe(outcome(line).verdict);
  });
});

describe('preflight says where identity comes from, and refuses a run that cannot know', () => {
  it('the tcp probe with a driver that cannot list connections: exit 3, nothing drained', async () => {
    const l = await lab('rs');
    const { listConnections: _, connectionTable: __, ...blind } = l.driver;
    let sets = 0;
    const driver: DrainDriver = {
      ...blind,
      async setWeight(...args) {
        sets++;
        return blind.setWeight(...args);
      },
    };
    const r = await runDrainTest({ ...l.base, driver, probe: TCP });
    expect(r.verdict).toBe('error');
    expect(r.checks.map((c) => `${c.id}:${c.status}`)).toEqual(['preflight:fail']);
    expect(r.checks[0]!.message).toMatch(
      /^no way to know which real server holds a connection: the tcp probe's answers/,
    );
    expect(exitCodeForReport(r)).toBe(3);
    expect(sets).toBe(0);
  });

  it('the pass line names both sources', async () => {
    const l = await lab('rs');
    const r = await runDrainTest({ ...l.base, driver: l.driver, holdMs: 150 });
    expect(r.checks[0]!.message).toMatch(
      /identity from the director \(ipvsadm -L -n -c of the builtin director\) and the answers \(rs-server reply line\), cross-checked$/,
    );
  });
});
