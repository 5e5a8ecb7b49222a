import { runClient, type SpawnedServer, spawnRsServer } from '@lvs-drain-kit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Clients each server accepted so far, from its own log. */
const accepted = (s: SpawnedServer) => s.records.filter((r) => r.msg === 'a new client').length;

describe('lvs-client probe against two real servers (alternating targets)', () => {
  let a: SpawnedServer;
  let b: SpawnedServer;

  beforeAll(async () => {
    [a, b] = await Promise.all([spawnRsServer(['--name', 'rs-a']), spawnRsServer(['--name', 'rs-b'], '127.0.0.2')]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const targets = () => [`127.0.0.1:${a.port}`, `127.0.0.2:${b.port}`];
  /** Six probes over the two targets in turn: who answers each. */
  const ALTERNATING = ['rs-a', 'rs-b', 'rs-a', 'rs-b', 'rs-a', 'rs-b'];

  it('--new-connection-each: one connection per probe, which server answered each, summary and p50/p99', async () => {
    const before = [accepted(a), accepted(b)];
    const r = await runClient(['probe', ...targets(), '--count', '6', '--interval', '10ms']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 6).map((l) => l.split(/\s{2,}/)[2])).toEqual(ALTERNATING);
    expect(lines[0]).toMatch(/^#1\s+127\.0\.0\.1:\d+\s+rs-a\s+connect \d+\.\d\dms\s+rtt \d+\.\d\dms$/);
    expect(r.stdout).toMatch(/^rs-a\s+3\s+50\.0%$/m);
    expect(r.stdout).toMatch(/^rs-b\s+3\s+50\.0%$/m);
    expect(r.stdout).toContain('6 probes (new-connection-each)');
    expect(r.stdout).toMatch(/^connect\s+p50 \d+\.\d\dms\s+p99 \d+\.\d\dms.*\(n=6\)$/m);
    expect(r.stdout).toMatch(/^rtt\s+p50 \d+\.\d\dms\s+p99 \d+\.\d\dms.*\(n=6\)$/m);
    // The servers' own logs: three new clients each.
    await expect.poll(() => [accepted(a) - before[0]!, accepted(b) - before[1]!]).toEqual([3, 3]);
  });

  it('--same-connection --json: every probe on one held connection per target', async () => {
    const before = [accepted(a), accepted(b)];
    const r = await runClient([
      'probe',
      ...targets(),
      '--count',
      '6',
      '--interval',
      '0',
      '--same-connection',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      mode: 'same-connection',
      count: 6,
      answered: 6,
      failed: 0,
      perServer: { 'rs-a': 3, 'rs-b': 3 },
      connect: { count: 2 },
      rtt: { count: 6 },
    });
    expect(result.rtt.p50Ms).toBeGreaterThan(0);
    expect(result.rtt.p99Ms).toBeGreaterThanOrEqual(result.rtt.p50Ms);
    expect(result.samples.map((s: { server: string }) => s.server)).toEqual(ALTERNATING);
    // Only the first probe to each target opened a connection.
    expect(result.samples.map((s: { connectMs?: number }) => s.connectMs !== undefined)).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    await expect.poll(() => [accepted(a) - before[0]!, accepted(b) - before[1]!]).toEqual([1, 1]);
  });

  it('exits 7 when some probes got no reply, and 3 when none could connect', async () => {
    let r = await runClient(['probe', `127.0.0.1:${a.port}`, '127.0.0.1:1', '--count', '4', '--interval', '0']);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/^#2\s+127\.0\.0\.1:1\s+failed: cannot connect to 127\.0\.0\.1:1: connection refused/m);
    expect(r.stdout).toMatch(/^failed\s+2$/m);
    expect(r.stderr.trim()).toBe('lvs-client: 2 of 4 probes got no reply');
    r = await runClient(['probe', '127.0.0.1:1', '--count', '2', '--interval', '0', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ answered: 0, failed: 2 });
    expect(r.stderr.trim()).toMatch(/^lvs-client: cannot connect to 127\.0\.0\.1:1: connection refused/);
  });
});
