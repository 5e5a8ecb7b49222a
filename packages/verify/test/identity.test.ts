import type { DirectorConnection } from '@lvs-drain-kit/drivers';
import { describe, expect, it } from 'vitest';
import type { Probe, ProbeExchange, ProbeSession } from '../src/probe/connection.js';
import { DirectorTable } from '../src/probe/director-table.js';
import {
  IdentityError,
  IdentityLedger,
  type IdentitySources,
  openIdentified,
  planIdentity,
} from '../src/probe/identity.js';

describe('planIdentity', () => {
  const line = { probe: 'line', names: true };
  const tcp = { probe: 'tcp', names: false };
  const ipvs = { driver: 'ipvsadm', table: 'ipvsadm -L -n -c' };
  const command = { driver: 'command', table: undefined };

  it('defaults to both where both exist, else the one that does', () => {
    expect(planIdentity(undefined, line, ipvs)).toEqual({ mode: 'both', director: 'ipvsadm -L -n -c' });
    expect(planIdentity(undefined, line, command)).toEqual({ mode: 'service' });
    expect(planIdentity(undefined, tcp, ipvs)).toEqual({ mode: 'director', director: 'ipvsadm -L -n -c' });
  });

  it('refuses a run that cannot know which server holds a connection, saying what would do', () => {
    expect(() => planIdentity(undefined, tcp, command)).toThrow(
      /^no way to know which real server holds a connection: the tcp probe's answers name no server \(.*\), and the command driver cannot list the director's connections \(ipvsadm, haproxy, nft and builtin can\)$/,
    );
    expect(() => planIdentity('service', tcp, ipvs)).toThrow(
      /^--identity service: the tcp probe's answers name no server/,
    );
    expect(() => planIdentity('director', line, command)).toThrow(
      /^--identity director: the command driver cannot list/,
    );
    expect(() => planIdentity('both', tcp, ipvs)).toThrow(/^--identity both: the tcp probe's answers/);
    expect(planIdentity('service', line, ipvs)).toEqual({ mode: 'service' });
  });
});

const conn = (port: number, server: string): DirectorConnection => ({
  client: { host: '198.18.0.10', port },
  server: { host: server, port: 80 },
});

describe('DirectorTable', () => {
  it('lookups waiting together share one listing; a lookup never uses a listing older than its connection', async () => {
    let lists = 0;
    let release: () => void = () => {};
    const table = new DirectorTable(async () => {
      lists++;
      await new Promise<void>((r) => {
        release = r;
      });
      return [conn(1000, '10.0.0.1'), conn(1001, '10.0.0.2')];
    });
    const t0 = performance.now();
    const a = table.serverOf({ host: '198.18.0.10', port: 1000 }, t0, t0 + 1000);
    const b = table.serverOf({ host: '::ffff:198.18.0.10', port: 1001 }, t0, t0 + 1000);
    await new Promise((r) => setTimeout(r, 5));
    release();
    expect(await a).toEqual({ host: '10.0.0.1', port: 80 });
    expect(await b).toEqual({ host: '10.0.0.2', port: 80 });
    expect(lists).toBe(1);
    // A connection made after that listing started needs a new one.
    const c = table.serverOf({ host: '198.18.0.10', port: 1000 }, performance.now(), performance.now() + 1000);
    await new Promise((r) => setTimeout(r, 5));
    release();
    await c;
    expect(lists).toBe(2);
    expect(table.reads).toBe(2);
  });

  it('reads again while the director does not list the connection yet, up to the deadline', async () => {
    let lists = 0;
    const table = new DirectorTable(async () => (++lists >= 3 ? [conn(7, '10.0.0.9')] : []));
    const now = performance.now();
    expect(await table.serverOf({ host: '198.18.0.10', port: 7 }, now, now + 1000)).toEqual({
      host: '10.0.0.9',
      port: 80,
    });
    expect(lists).toBe(3);
    const never = new DirectorTable(async () => []);
    const t = performance.now();
    expect(await never.serverOf({ host: '198.18.0.10', port: 7 }, t, t + 40)).toBeUndefined();
  });
});

/** A probe whose connections answer with `answers` in turn (the service's view). */
function fakeProbe(port: number, answers: ProbeExchange[]): Probe {
  const session: ProbeSession = {
    connectMs: 1,
    localPort: port,
    localAddress: '198.18.0.10',
    dead: undefined,
    async ask() {
      return answers.shift() ?? { ok: false, class: 'closed', detail: 'done' };
    },
    async shutdown() {},
    destroy() {},
  };
  return { kind: 'line', identity: 'test', description: 'test', open: async () => session };
}

function sources(mode: 'director' | 'both', rows: DirectorConnection[]): IdentitySources & { ledger: IdentityLedger } {
  return {
    plan: { mode, director: 'test table', service: 'test answers' },
    table: new DirectorTable(async () => rows),
    ledger: new IdentityLedger(() => 0),
    nameOf: (s) => (s.host === '10.0.0.1' ? 'rs1' : s.host === '10.0.0.2' ? 'rs2' : `${s.host}:${s.port}`),
    lookupMs: 30,
    recheckMs: 0,
  };
}

const target = { host: '198.18.0.100', port: 80, timeoutMs: 100 };

describe('openIdentified', () => {
  it('both: every connection is attributed twice, and a disagreement is recorded', async () => {
    const ids = sources('both', [conn(1000, '10.0.0.1'), conn(1001, '10.0.0.1')]);
    const agree = await openIdentified(fakeProbe(1000, [{ ok: true, host: 'rs1', rttMs: 1 }]), target, ids);
    expect(await agree.ask('hello', undefined, 100)).toEqual({ ok: true, host: 'rs1', rttMs: 1 });
    const differ = await openIdentified(fakeProbe(1001, [{ ok: true, host: 'rs2', rttMs: 1 }]), target, ids);
    // The run goes on with what the service said; the check of the verifier fails later.
    expect(await differ.ask('hello', undefined, 100)).toMatchObject({ ok: true, host: 'rs2' });
    const unlisted = await openIdentified(fakeProbe(1002, [{ ok: true, host: 'rs1', rttMs: 1 }]), target, ids);
    await unlisted.ask('hello', undefined, 100);
    expect(ids.ledger.crossChecked).toBe(3);
    expect(ids.ledger.disagreements).toEqual([
      { client: '198.18.0.10:1001', director: 'rs1', service: 'rs2', atMs: 0 },
      { client: '198.18.0.10:1002', director: '', service: 'rs1', atMs: 0 },
    ]);
  });

  it('director: the server is the director’s; a connection it does not list cannot be attributed (exit 3)', async () => {
    const ids = sources('director', [conn(1000, '10.0.0.2')]);
    const c = await openIdentified(
      fakeProbe(1000, [
        { ok: true, rttMs: 1 },
        { ok: true, rttMs: 1 },
      ]),
      target,
      ids,
    );
    expect(await c.ask('hello', undefined, 100)).toEqual({ ok: true, host: 'rs2', rttMs: 1 });
    expect(await c.ask('line 1', 'rs1', 100)).toMatchObject({ ok: false, class: 'wrong-host', host: 'rs2' });
    await expect(openIdentified(fakeProbe(2000, []), target, ids)).rejects.toThrow(IdentityError);
    await expect(openIdentified(fakeProbe(2000, []), target, ids)).rejects.toThrow(
      /the director's table \(test table\) does not list the connection from 198\.18\.0\.10:2000 to 198\.18\.0\.100:80/,
    );
  });

  it('director: an old connection moved to another server meanwhile is wrong-host, seen by a later read', async () => {
    let server = '10.0.0.1';
    const ids = {
      ...sources('director', []),
      table: new DirectorTable(async () => [conn(1000, server)]),
      recheckMs: 1,
    };
    const c = await openIdentified(
      fakeProbe(1000, [
        { ok: true, rttMs: 1 },
        { ok: true, rttMs: 1 },
      ]),
      target,
      ids,
    );
    expect(await c.ask('hello', undefined, 100)).toMatchObject({ ok: true, host: 'rs1' });
    server = '10.0.0.2';
    await new Promise((r) => setTimeout(r, 5));
    expect(await c.ask('line 1', 'rs1', 100)).toMatchObject({
      ok: false,
      class: 'wrong-host',
      detail: 'the director now sends this connection to rs2',
    });
  });
});
