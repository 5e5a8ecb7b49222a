import type { DrainDriver } from '@lvs-drain-kit/drivers';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForReport } from '../src/errors.js';
import { ConnectFailure, type ConnectTarget, type ProbeConnection } from '../src/probe/connection.js';
import { openRsLine } from '../src/probe/line.js';
import { ephemeralRange, SourcePorts } from '../src/probe/source-ports.js';
import type { ProgressEvent } from '../src/progress.js';
import { renderHuman } from '../src/report/human.js';
import type { DrainReport } from '../src/report/types.js';
import { runDrainTest } from '../src/run/drain-test.js';
import { type InProcessLab, startInProcessLab } from './in-process-lab.js';

describe('the run record of source ports', () => {
  it('knows which pairs were used and where they went; picks only unused ports', () => {
    const ports = new SourcePorts([40000, 40003]);
    expect(ports.usesOf('10.0.0.1', 40000)).toEqual([]);
    ports.record('10.0.0.1', 40000, { connection: 'old#1', server: 'rs1' });
    ports.record('10.0.0.1', 40001, { connection: 'old#2', server: 'rs2' });
    ports.refuse(40002);
    expect(ports.usesOf('10.0.0.1', 40000)).toEqual([{ connection: 'old#1', server: 'rs1' }]);
    // Another local address is another pair.
    expect(ports.usesOf('10.0.0.2', 40000)).toEqual([]);
    for (let i = 0; i < 20; i++) expect(ports.pick()).toBe(40003);
    ports.record('10.0.0.1', 40003, { connection: 'new#1', server: 'rs2' });
    // The ephemeral range used up: the other unprivileged ports.
    const outside = ports.pick()!;
    expect(outside < 40000 || outside > 40003).toBe(true);
    expect(outside).toBeGreaterThanOrEqual(1024);
    // Every port taken: none.
    const full = new SourcePorts([1024, 65535]);
    for (let p = 1024; p <= 65535; p++) full.refuse(p);
    expect(full.pick()).toBeUndefined();
  });

  it("reads the kernel's ephemeral range, and falls back when it cannot", () => {
    const [lo, hi] = ephemeralRange();
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeGreaterThanOrEqual(lo);
    expect(ephemeralRange('/nonexistent')).toEqual([49152, 65535]);
  });
});

/** Every check with its message, for an assertion's message. */
const summary = (report: DrainReport) => report.checks.map((c) => `${c.id}=${c.status}: ${c.message}`).join('\n');

let lab: InProcessLab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

/**
 * The "restore" of the false pass seen on real IPVS: it exits 0 but edits the other server, and the
 * weight cannot be read back (a command driver without --get-cmd).
 */
function restoreEditsTheOtherServer(builtin: DrainDriver, other: { host: string; port: number }): DrainDriver {
  return {
    ...builtin,
    name: 'restore-edits-rs2',
    async getWeight() {
      return undefined;
    },
    async setWeight(service, real, weight) {
      await builtin.setWeight(service, weight === 0 ? real : other, weight);
    },
  };
}

/**
 * Stands in for a kernel that hands a port used before: from `from` on, the next `times` connections
 * the verifier lets the kernel place get the source port of the reused-source-port probe (which reached
 * the drained server through the sticky director).
 */
function kernelReusing(probePort: () => number | undefined, times: number) {
  let left = times;
  let armed = false;
  const reused: number[] = [];
  return {
    reused,
    arm: () => {
      armed = true;
    },
    async open(target: ConnectTarget): Promise<ProbeConnection> {
      const port = probePort();
      if (target.localPort === undefined && armed && left > 0 && port !== undefined) {
        left--;
        reused.push(port);
        // The probe's connection just closed (the server closed first): the port frees within moments.
        for (let i = 0; ; i++) {
          try {
            return await openRsLine({ ...target, localPort: port });
          } catch (err) {
            if (!(err instanceof ConnectFailure && err.code === 'EADDRINUSE') || i >= 40) throw err;
            await new Promise((r) => setTimeout(r, 25));
          }
        }
      }
      return openRsLine(target);
    },
  };
}

describe('a reused source port is never taken for a return or a leak', () => {
  it('a restore that restores nothing fails new-connections-return even when a return probe reuses a port that reached rs1', async () => {
    // sticky-source-port: the builtin director's IPVS conn_reuse_mode behaviour (a known client
    // address:port goes back to its server whatever the weight).
    lab = await startInProcessLab(pino({ level: 'silent' }), ['sticky-source-port']);
    const other = lab.base.reals[1]!;
    let probePort: number | undefined;
    const kernel = kernelReusing(() => probePort, 3);
    const progress: ProgressEvent[] = [];
    const report = await runDrainTest({
      ...lab.base,
      driver: restoreEditsTheOtherServer(lab.builtin, other),
      restoreWeight: 1,
      openConnection: async (target) => {
        // The reused-source-port probe binds its port itself: remember it.
        if (target.localPort !== undefined && probePort === undefined) probePort = target.localPort;
        return kernel.open(target);
      },
      onProgress: (e) => {
        progress.push(e);
        if (e.phase === 'restore' && e.kind === 'start') kernel.arm();
      },
    });
    // The pitfall really happened: the first return probes (up to 3, as many as the restore's time
    // allowed on this machine) came from the probe's port.
    const n = kernel.reused.length;
    expect(n).toBeGreaterThanOrEqual(1);
    const reuse = report.checks.find((c) => c.id === 'reused-source-port')!;
    const ret = report.checks.find((c) => c.id === 'new-connections-return')!;
    expect(ret.status, ret.message).toBe('fail');
    expect(ret.message).toContain('no new connection reached rs1');
    expect(ret.message).toMatch(
      new RegExp(
        `${n} more came from source ports used earlier in the run and were not counted \\(${n} of them reached rs1 through the reused port: see reused-source-port\\)`,
      ),
    );
    // Before: "a new connection reached rs1 again after … (try 1)", verdict PASS.
    expect(report.verdict).toBe('fail');
    expect(exitCodeForReport(report)).toBe(1);
    // The hits are the reuse pitfall, with the fix named, under their own check.
    expect(reuse.status).toBe('warn');
    expect(reuse.message).toContain('net.ipv4.vs.conn_reuse_mode=3');
    const hits = reuse.failures.filter((f) => f.connection.startsWith('return#'));
    expect(hits).toHaveLength(n);
    expect(hits[0]!.detail).toMatch(new RegExp(`source 127\\.0\\.0\\.1:${probePort} used before by old#\\d+ on rs1`));
    const rs1 = report.servers.find((s) => s.name === 'rs1')!;
    expect(rs1.returnedConnections).toBe(0);
    expect(rs1.reusedPortConnections).toBe(n + 1);
    expect(rs1.failures['wrong-host']).toBe(0);
  });

  it('a PASS run whose own probe meets the pitfall counts the hit as a reused-port connection, not a failure', async () => {
    lab = await startInProcessLab(pino({ level: 'silent' }), ['sticky-source-port']);
    const report = await runDrainTest({ ...lab.base, driver: lab.builtin });
    const reuse = report.checks.find((c) => c.id === 'reused-source-port')!;
    expect(report.verdict, summary(report)).toBe('pass');
    expect(reuse.status, reuse.message).toBe('warn');
    const rs1 = report.servers.find((s) => s.name === 'rs1')!;
    expect(rs1.failures['wrong-host']).toBe(0);
    expect(rs1.reusedPortConnections).toBe(1);
    expect(rs1.newConnections).toBe(0);
    const row = renderHuman(report, { color: false })
      .split('\n')
      .find((l) => l.includes('rs1 *'))!;
    expect(row).toContain('0 (+1 reused port)');
    expect(row).not.toContain('wrong-host');
  });

  it('a drain that never took effect is not blamed on port reuse', async () => {
    lab = await startInProcessLab(pino({ level: 'silent' }));
    const builtin = lab.builtin;
    let claimed: number | undefined;
    const liar: DrainDriver = {
      ...builtin,
      async getWeight(service, real) {
        return claimed ?? builtin.getWeight(service, real);
      },
      async setWeight(_service, _real, weight) {
        claimed = weight;
      },
    };
    const report = await runDrainTest({ ...lab.base, driver: liar, restoreWeight: 1 });
    expect(report.checks.find((c) => c.id === 'new-connections-avoid-drained')?.status).toBe('fail');
    const reuse = report.checks.find((c) => c.id === 'reused-source-port')!;
    expect(reuse.status).not.toBe('warn');
    expect(reuse.message).not.toContain('conn_reuse_mode');
    if (reuse.failures.length > 0)
      expect(reuse.message).toMatch(/^not judged: new connections from fresh source ports reached rs1 too/);
  });

  it('with no fresh source port to be had, the new-connection sample is inconclusive (exit 3), not a pass', async () => {
    lab = await startInProcessLab(pino({ level: 'silent' }));
    let inPhase = false;
    // A kernel with a tiny port range: once its few ports are used, it hands back one that is free again.
    const used: number[] = [];
    const free: number[] = [];
    const report = await runDrainTest({
      ...lab.base,
      driver: lab.builtin,
      openConnection: async (target) => {
        if (!inPhase) return openRsLine(target);
        // Every port the verifier picks is taken by some other program …
        if (target.localPort !== undefined) throw new ConnectFailure('reset', 'EADDRINUSE', 'EADDRINUSE');
        for (let i = 0; used.length >= 4 && free.length === 0 && i < 200; i++)
          await new Promise((r) => setTimeout(r, 5));
        const c = await openRsLine({ ...target, ...(used.length >= 4 ? { localPort: free.shift()! } : {}) });
        if (!used.includes(c.localPort)) used.push(c.localPort);
        const port = c.localPort;
        // The port is free again once the connection is closed (the server closing first).
        let freed = false;
        const release = () => {
          if (!freed) free.push(port);
          freed = true;
        };
        const shutdown = c.shutdown.bind(c);
        const destroy = c.destroy.bind(c);
        return Object.assign(c, {
          shutdown: async (ms: number) => {
            await shutdown(ms);
            release();
          },
          destroy: () => {
            destroy();
            release();
          },
        });
      },
      onProgress: (e: ProgressEvent) => {
        if (e.kind === 'start') inPhase = e.phase === 'new-connections';
      },
    });
    const avoid = report.checks.find((c) => c.id === 'new-connections-avoid-drained')!;
    expect(avoid.status, avoid.message).toBe('inconclusive');
    expect(avoid.message).toMatch(/^only [1-8] of 59 new connections could be made from source ports not used before/);
    expect(avoid.power!.samples).toBeLessThanOrEqual(8);
    expect(avoid.power!.reached).toBe(0);
    expect(report.verdict).toBe('inconclusive');
    expect(exitCodeForReport(report)).toBe(3);
    expect(renderHuman(report, { color: false })).toMatch(/verdict\s+INCONCLUSIVE/);
  });
});
