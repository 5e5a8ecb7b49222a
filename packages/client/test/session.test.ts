import { createServer, type Server, type Socket } from 'node:net';
import { formatReply } from '@lvs-drain-kit/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectErrorFrom } from '../src/connect.js';
import { ConnectError } from '../src/errors.js';
import { Session, type SessionView } from '../src/session.js';
import type { TranscriptEntry } from '../src/transcript.js';

/** A view that records what the session shows. */
function recorder() {
  const entries: TranscriptEntry[] = [];
  const output: string[] = [];
  const view: SessionView = {
    entry: (e) => entries.push(e),
    hex: (_t, lines) => output.push(...lines),
    output: (lines) => output.push(...lines),
  };
  const notes = () => entries.filter((e) => e.direction === '*').map((e) => e.text);
  return { view, entries, output, notes };
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('Session', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  const sessions: Session[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.dispose();
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  const replyServer = (name: string, onSocket?: (s: Socket, line: string) => void) => {
    const server = createServer((s) => {
      sockets.push(s);
      s.setEncoding('utf8').on('data', (d: string) => {
        for (const line of d.split('\n').slice(0, -1)) {
          if (onSocket) onSocket(s, line);
          else s.write(formatReply(name));
        }
      });
    });
    servers.push(server);
    return server;
  };

  const open = (port: number, retries = 0) => {
    const r = recorder();
    const session = new Session(
      {
        target: { host: '127.0.0.1', port, family: 4 },
        protocol: 'tcp',
        connectTimeoutMs: 2000,
        retries,
        retryMinDelayMs: 50,
      },
      r.view,
    );
    sessions.push(session);
    return { session, ...r };
  };

  it('says the peer reset the connection, keeps the transcript, and /reconnect works again', async () => {
    const server = replyServer('rs1', (s, line) =>
      line === 'boom' ? s.resetAndDestroy() : s.write(formatReply('rs1')),
    );
    const port = await listen(server);
    const { session, notes, entries } = open(port);
    await session.connect();
    await session.handle('boom');
    await expect.poll(notes).toContainEqual('connection reset by peer (ECONNRESET); /reconnect to connect again');
    expect(session.connected).toBe(false);
    await session.handle('/reconnect');
    expect(session.connected).toBe(true);
    await session.handle('after');
    await expect.poll(() => entries.filter((e) => e.direction === 'R').length).toBe(1);
    expect(entries.map((e) => e.direction)).toEqual(['*', 'S', '*', '*', 'S', 'R']);
    expect(session.transcript.entries).toHaveLength(6);
  });

  it('retries with back-off until the server is there (--retry)', async () => {
    // Find a free port, then start listening on it a little later.
    const probe = createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    const { session, notes } = open(port, 5);
    const connecting = session.connect();
    // The server comes up once the first attempt was refused.
    await expect.poll(() => notes().some((n) => n.includes('retrying'))).toBe(true);
    await listen(replyServer('late'), port);
    await connecting;
    expect(session.connected).toBe(true);
    expect(notes()[0]).toMatch(/^cannot connect to 127\.0\.0\.1:\d+: connection refused .*; retrying \(5 left\)$/);
    expect(notes().at(-1)).toMatch(/^connected to 127\.0\.0\.1:\d+/);
  });

  it('gives up after --retry attempts with the last ConnectError', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    const { session, notes } = open(port, 2);
    await expect(session.connect()).rejects.toBeInstanceOf(ConnectError);
    expect(notes().filter((n) => n.includes('retrying'))).toHaveLength(2);
  });

  it('/repeat sends N lines and counts the replies per server; /repeat off stops it', async () => {
    const port = await listen(replyServer('rs9'));
    const { session, entries, output } = open(port);
    await session.connect();
    await session.handle('/repeat 3 10 ping');
    await expect.poll(() => output).toContain('repeat done: sent "ping" 3 times');
    await expect.poll(() => session.stats.perServer.get('rs9')).toBe(3);
    expect(entries.filter((e) => e.direction === 'S').map((e) => e.text)).toEqual(['ping', 'ping', 'ping']);
    await session.handle('/repeat 100 1000 slow');
    await session.handle('/repeat off');
    expect(output.at(-1)).toBe('repeat stopped (99 not sent)');
    await expect.poll(() => session.stats.perServer.get('rs9')).toBe(4);
    await session.handle('/stats');
    expect(output.at(-2)).toMatch(/^rs9\s+4\s+100\.0%$/);
  });

  it('/keepalive sends its line after the idle time, and stops with off', async () => {
    const port = await listen(replyServer('rs1'));
    const { session, entries } = open(port);
    await session.connect();
    const sent = () => entries.filter((e) => e.direction === 'S').map((e) => e.text);
    // The session's timers on a fake clock: the idle time passes when the test says so, not by waiting.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await session.handle('/keepalive 1 are you there');
      vi.advanceTimersByTime(999);
      expect(sent()).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(sent()).toEqual(['are you there']);
      await expect.poll(() => entries.some((e) => e.direction === 'R')).toBe(true);
      await session.handle('/keepalive off');
      vi.advanceTimersByTime(60_000);
      expect(sent()).toEqual(['are you there']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('connectErrorFrom', () => {
  const target = { host: 'lb.example', port: 2100, family: 0 as const };
  const errno = (code: string) => Object.assign(new Error(code), { code });

  it('names the reason in words and keeps the code', () => {
    expect(connectErrorFrom(errno('ENOTFOUND'), target).message).toBe(
      'cannot connect to lb.example:2100: host name not resolved (ENOTFOUND)',
    );
    expect(connectErrorFrom(errno('EHOSTUNREACH'), target)).toMatchObject({ reason: 'unreachable' });
    expect(connectErrorFrom(errno('ENETUNREACH'), target)).toMatchObject({ reason: 'unreachable' });
    expect(connectErrorFrom(errno('ETIMEDOUT'), target)).toMatchObject({ reason: 'timeout' });
    expect(connectErrorFrom(errno('EWHATEVER'), target)).toMatchObject({ reason: 'other', code: 'EWHATEVER' });
  });

  it('looks inside the AggregateError of a name with several addresses', () => {
    const err = new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')], 'all failed');
    expect(connectErrorFrom(err, target)).toMatchObject({ reason: 'refused', code: 'ECONNREFUSED' });
  });
});
