import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeForReport } from '../src/errors.js';
import { renderHuman } from '../src/report/human.js';
import { buildJunit } from '../src/report/junit.js';
import type { DrainReport, ServerReport } from '../src/report/types.js';

const server = (name: string, drained: boolean, extra: Partial<ServerReport> = {}): ServerReport => ({
  name,
  host: drained ? '172.16.0.114' : '172.16.0.115',
  port: 2100,
  drained,
  weightBefore: 1,
  connectionsBefore: 4,
  connectionsAfter: 4,
  newConnections: drained ? 0 : 16,
  returnedConnections: drained ? 1 : 0,
  reusedPortConnections: 0,
  stalls: 0,
  replies: 100,
  failures: { timeout: 0, reset: 0, closed: 0, 'wrong-host': 0, garbled: 0 },
  ...extra,
});

function report(over: Partial<DrainReport> = {}): DrainReport {
  return {
    tool: 'lvs-verify',
    version: '0.1.0',
    verdict: 'pass',
    startedAt: '2026-11-25T18:00:00.000Z',
    durationMs: 6200,
    vip: '172.16.0.113:2100',
    drain: { host: '172.16.0.114', port: 2100, name: 'rs1', originalWeight: 1 },
    settings: {
      connections: 8,
      newConnections: 59,
      maxLeak: 0.05,
      holdMs: 5000,
      intervalMs: 200,
      timeoutMs: 2000,
      restoreTimeoutMs: 10000,
      restore: true,
      strict: false,
    },
    driver: { name: 'ipvsadm', description: 'ipvsadm via ssh root@172.16.0.113' },
    director: {
      scheduler: 'wrr',
      servers: [],
      kernel: '6.1.0',
      sysctls: { 'net.ipv4.vs.conn_reuse_mode': '1' },
      warnings: ['conn_reuse_mode=1 on a DR service'],
    },
    phases: [{ id: 'preflight', startMs: 0, durationMs: 40 }],
    checks: [
      { id: 'preflight', status: 'pass', message: 'ok', failures: [] },
      { id: 'old-connections-survive', status: 'pass', message: 'all 8 answered', failures: [] },
      {
        id: 'reused-source-port',
        status: 'warn',
        message: 'reached rs1',
        failures: [{ class: 'wrong-host', connection: 'probe', server: 'rs1', atMs: 5100 }],
      },
    ],
    servers: [server('rs1', true, { weightDuringDrain: 0, weightAfter: 1 }), server('rs2', false)],
    latency: {},
    disruptions: [],
    restore: {
      attempted: true,
      restored: true,
      weight: 1,
      manualCommand: 'ipvsadm -e -t 172.16.0.113:2100 -r 172.16.0.114:2100 -g -w 1',
    },
    verifier: {
      eventLoopDelay: { p50: 0.1, p99: 12.4, max: 31.6 },
      perPhase: { hold: { p50: 0.1, p99: 12.4, max: 31.6 } },
      peakRssBytes: 75 * 1024 * 1024,
      heapUsedBytes: 20 * 1024 * 1024,
      hold: { rounds: 25, expectedRounds: 25, cpuPercent: 12 },
      stalledTimeouts: 0,
      warnings: [],
    },
    ...over,
  };
}

describe('human report', () => {
  it('shows the target, the director, one line per check and the verdict; no colour codes when off', () => {
    const text = renderHuman(report(), { color: false });
    expect(text).toContain('drain rs1 (172.16.0.114:2100)');
    expect(text).toContain('warning  conn_reuse_mode=1 on a DR service');
    expect(text).toMatch(/rs1 \*\s+│ 172\.16\.0\.114:2100 │ 1→0→1/);
    expect(text).toMatch(/PASS\s+old-connections-survive\s+all 8 answered/);
    expect(text).toMatch(/WARN\s+reused-source-port/);
    expect(text).toMatch(/verdict\s+PASS .*warnings: reused-source-port/);
    expect(text).not.toContain('\u001b[');
    expect(renderHuman(report(), { color: true })).toContain('\u001b[');
  });

  it('stalls are counted beside the failures, reused-port hits beside the new connections', () => {
    const text = renderHuman(
      report({
        servers: [server('rs1', true, { stalls: 2, reusedPortConnections: 1 }), server('rs2', false)],
      }),
      { color: false },
    );
    expect(text).toMatch(/rs1 \*.*│ 0 \(\+1 reused port\) │.*│ 2 stalls +│/);
    expect(text).toContain('59 new (sized for a 5% leak)');
    const given = report();
    given.settings.newConnections = 16;
    expect(renderHuman(given, { color: false })).toContain('16 new (would see a leak of ≥ 18%)');
  });

  it("one line of the verifier's own load, and its overload warnings", () => {
    expect(renderHuman(report(), { color: false })).toContain(
      'verifier event-loop delay p99 12 ms (max 32) · peak RSS 75 MB · hold 25 of 25 rounds, 12% CPU\n',
    );
    const warned = report();
    warned.verifier.warnings = ['the verifier was overloaded during hold: its own event loop ran up to 900 ms late'];
    expect(renderHuman(warned, { color: false })).toContain(
      'warning  the verifier was overloaded during hold: its own event loop ran up to 900 ms late',
    );
  });

  it('a failed restore is the loudest line, with the command to run by hand', () => {
    const text = renderHuman(
      report({
        verdict: 'error',
        restore: {
          attempted: true,
          restored: false,
          weight: 1,
          manualCommand: 'ipvsadm -e -t 172.16.0.113:2100 -r 172.16.0.114:2100 -g -w 1',
        },
      }),
      { color: false },
    );
    expect(text).toContain('RESTORE FAILED: rs1 may still be drained');
    expect(text).toContain('    ipvsadm -e -t 172.16.0.113:2100 -r 172.16.0.114:2100 -g -w 1');
  });
});

describe('exit codes from a report', () => {
  it('0 pass, 1 fail, 3 environment before the drain, 4 restore failed, 130/143 interrupted', () => {
    expect(exitCodeForReport(report())).toBe(EXIT.pass);
    expect(exitCodeForReport(report({ verdict: 'fail' }))).toBe(EXIT.checkFailed);
    // A check that observed nothing: not tested as asked.
    expect(exitCodeForReport(report({ verdict: 'inconclusive' }))).toBe(EXIT.environment);
    expect(
      exitCodeForReport(report({ verdict: 'error', error: { type: 'DriverError', message: 'x', beforeDrain: true } })),
    ).toBe(EXIT.environment);
    expect(
      exitCodeForReport(report({ verdict: 'error', error: { type: 'Error', message: 'x', beforeDrain: false } })),
    ).toBe(EXIT.checkFailed);
    expect(exitCodeForReport(report({ restore: { attempted: true, restored: false } }))).toBe(EXIT.restoreFailed);
    expect(
      exitCodeForReport(
        report({
          verdict: 'error',
          error: { type: 'InterruptedError', message: 'x', beforeDrain: false, signal: 'SIGTERM' },
        }),
      ),
    ).toBe(143);
  });
});

describe('JUnit', () => {
  it('one testcase per check; warn passes with its message', () => {
    const xml = buildJunit(
      report({
        checks: [...report().checks, { id: 'spread', status: 'fail', message: 'none reached rs1', failures: [] }],
      }),
    );
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('<failure message="none reached rs1"');
    expect(xml).toContain('WARN: reached rs1');
  });

  it('a check that observed nothing is an error testcase, not a pass', () => {
    const xml = buildJunit(
      report({
        verdict: 'inconclusive',
        checks: [{ id: 'new-connections-return', status: 'inconclusive', message: 'no fresh port', failures: [] }],
      }),
    );
    expect(xml).toContain('<error message="no fresh port" type="inconclusive"');
  });
});
