import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeSession } from '../src/probe/connection.js';
import { parseSendQueues, procAddress, SendQueueWatcher } from '../src/probe/send-queue.js';
import { createProbe, type ProbeSpec, probeSpecFrom, unescapeText } from '../src/probe/spec.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A TCP service on 127.0.0.1: `onData` answers (or not) what a client sends. */
async function service(onData: (socket: Socket, text: string) => void): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    s.on('data', (d) => onData(s, String(d)));
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { port: (server.address() as { port: number }).port, sockets };
}

async function open(spec: ProbeSpec, port: number, identify = true): Promise<ProbeSession> {
  const probe = await createProbe(spec, { identify, vipText: `127.0.0.1:${port}` });
  return probe.open({ host: '127.0.0.1', port, timeoutMs: 1000 });
}

describe('--probe line with --send and --identity-regex (a line service that is not rs-server)', () => {
  it('sends the given text each exchange and reads the server from the named group', async () => {
    const got: string[] = [];
    const s = await service((sock, text) => {
      got.push(text);
      sock.write('+OK cache-7\r\n');
    });
    const conn = await open({ kind: 'line', send: 'PING\\r\\n', identityRegex: '^\\+OK (?<server>\\S+)' }, s.port);
    expect(await conn.ask('line 1 old#1', undefined, 1000)).toMatchObject({ ok: true, host: 'cache-7' });
    expect(await conn.ask('line 2 old#1', 'cache-8', 1000)).toMatchObject({ ok: false, class: 'wrong-host' });
    expect(got).toEqual(['PING\r\n', 'PING\r\n']);
    // No `shutdown` line for a service that knows none: the connection is ended from this side.
    await conn.shutdown(1000);
    expect(got).toHaveLength(2);
  });

  it('a reply the regex does not match is garbled; without identity any line is an answer', async () => {
    const s = await service((sock) => sock.write('-ERR busy\n'));
    const conn = await open({ kind: 'line', send: 'PING', identityRegex: '^\\+OK (?<server>\\S+)' }, s.port);
    expect(await conn.ask('a', undefined, 1000)).toMatchObject({
      ok: false,
      class: 'garbled',
      detail: 'not a reply: -ERR busy',
    });
    conn.destroy();
    const any = await open({ kind: 'line', send: 'PING' }, s.port, false);
    expect(await any.ask('a', 'whoever', 1000)).toMatchObject({ ok: true });
    expect((await any.ask('a', undefined, 1000)).ok).toBe(true);
    any.destroy();
  });
});

describe('--probe tcp', () => {
  it('--send and --expect: an exchange is an answer matching the regex', async () => {
    const s = await service((sock, text) => {
      if (text === 'PING\r\n') sock.write('+PO');
      setTimeout(() => sock.write('NG\r\n'), 20);
    });
    const conn = await open({ kind: 'tcp', send: 'PING\\r\\n', expect: '^\\+PONG' }, s.port);
    const ex = await conn.ask('x', 'ignored', 1000);
    expect(ex).toMatchObject({ ok: true });
    expect(ex.ok && ex.host).toBeUndefined();
    expect(ex.ok && ex.rttMs).toBeGreaterThan(10);
    await conn.shutdown(1000);
  });

  it('an answer that never matches is garbled, with what came; no answer at all is timeout', async () => {
    const s = await service((sock, text) => {
      if (text.startsWith('PING')) sock.write('-ERR\r\n');
    });
    const conn = await open({ kind: 'tcp', send: 'PING\\r\\n', expect: '^\\+PONG' }, s.port);
    expect(await conn.ask('x', undefined, 150)).toMatchObject({
      ok: false,
      class: 'garbled',
      detail: 'no answer matching /^\\+PONG/ within 150 ms; got -ERR\\r\\n',
    });
    const silent = await open({ kind: 'tcp', send: 'HELLO', expect: 'x' }, s.port);
    expect(await silent.ask('x', undefined, 150)).toMatchObject({ ok: false, class: 'timeout' });
    expect([conn.dead?.class, silent.dead?.class]).toEqual(['garbled', 'timeout']);
  });

  it('--send alone: the bytes must be acknowledged by the peer (its TCP ACKs, from the kernel)', async () => {
    const s = await service(() => {});
    const conn = await open({ kind: 'tcp', send: 'hello\\n' }, s.port);
    for (let i = 0; i < 3; i++) expect((await conn.ask('x', undefined, 1000)).ok).toBe(true);
    await until(() => s.sockets.length === 1);
    s.sockets[0]!.resetAndDestroy();
    await until(() => conn.dead !== undefined);
    expect(await conn.ask('x', undefined, 1000)).toMatchObject({ ok: false, class: 'reset' });
  });

  it('without --send: alive while no FIN or RST came', async () => {
    const s = await service(() => {});
    const conn = await open({ kind: 'tcp' }, s.port);
    expect((await conn.ask('x', undefined, 1000)).ok).toBe(true);
    await until(() => s.sockets.length === 1);
    s.sockets[0]!.end();
    s.sockets[0]!.destroySoon();
    await until(() => conn.dead !== undefined);
    expect(await conn.ask('x', undefined, 1000)).toMatchObject({
      ok: false,
      class: 'closed',
      detail: 'the connection was closed (FIN)',
    });
  });
});

describe('the kernel send queue', () => {
  it('writes addresses as /proc/net/tcp and tcp6 do (each 32-bit word in host order)', () => {
    expect(procAddress('127.0.0.1')).toBe('0100007F');
    expect(procAddress('198.18.0.10')).toBe('0A0012C6');
    expect(procAddress('::1')).toBe('00000000000000000000000001000000');
    expect(procAddress('::ffff:127.0.0.1')).toBe('0000000000000000FFFF00000100007F');
  });

  it('reads tx_queue by local and remote address', () => {
    const text = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 588 1 000000009485d7ae 100 0 0 10 0
   1: 0A0012C6:A4A1 640012C6:0834 01 0000002A:00000000 01:00000014 00000002     0        0 0 3 00000000bd679aea
`;
    expect(parseSendQueues(text).get('0A0012C6:A4A1-640012C6:0834')).toBe(42);
  });

  it('a socket not in the table (closed meanwhile) is not taken for acknowledged', async () => {
    const w = new SendQueueWatcher(1, async () => 'header\n');
    expect(
      await w.acked({ localAddress: '127.0.0.1', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2 }, 50),
    ).toBe(false);
  });

  it('waits while bytes are unacknowledged, up to the timeout', async () => {
    const row = (tx: number) =>
      `h\n 1: 0100007F:0001 0100007F:0002 01 ${tx.toString(16).padStart(8, '0')}:00000000 00:00000000 00000000 0 0 0\n`;
    let reads = 0;
    const w = new SendQueueWatcher(1, async () => (++reads < 5 ? row(7) : row(0)));
    const pair = { localAddress: '127.0.0.1', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2 };
    expect(await w.acked(pair, 1000)).toBe(true);
    expect(reads).toBeGreaterThanOrEqual(5);
    const stuck = new SendQueueWatcher(1, async () => row(7));
    expect(await stuck.acked(pair, 30)).toBe(false);
  });
});

describe('probe settings', () => {
  it('refuses a setting that means nothing for the probe kind, and mixtures that contradict', () => {
    expect(() => probeSpecFrom({ probe: 'line', path: '/x' })).toThrow(
      '--path goes with --probe http, not --probe line',
    );
    expect(() => probeSpecFrom({ probe: 'tcp', identityHeader: 'X' })).toThrow(
      /--identity-header goes with --probe http/,
    );
    expect(() => probeSpecFrom({ probe: 'http', send: 'x' })).toThrow(/--send goes with --probe line or tcp/);
    expect(() => probeSpecFrom({ probe: 'tcp', expect: 'x' })).toThrow('--expect needs --send: what to ask');
    expect(() => probeSpecFrom({ probe: 'http', identityHeader: 'X', identityRegex: '(?<server>.)' })).toThrow(
      /not both/,
    );
    expect(() => probeSpecFrom({ probe: 'http', ca: '/x' })).toThrow('--servername, --ca and --insecure go with --tls');
    expect(probeSpecFrom({})).toEqual({ kind: 'line' });
    expect(probeSpecFrom({ probe: 'http', path: '/h', tls: true, insecure: true })).toEqual({
      kind: 'http',
      path: '/h',
      tls: true,
      insecure: true,
    });
  });

  it('an identity regex needs a group named server; escapes of --send are read', async () => {
    await expect(
      createProbe({ kind: 'line', identityRegex: '^(\\S+)' }, { identify: true, vipText: 'x' }),
    ).rejects.toThrow('--identity-regex needs a group named server: (?<server>…)');
    await expect(
      createProbe({ kind: 'http', expectStatus: '2xx,7' }, { identify: true, vipText: 'x' }),
    ).rejects.toThrow(/--expect-status/);
    await expect(
      createProbe({ kind: 'http', tls: true, ca: '/nonexistent.pem' }, { identify: true, vipText: 'x' }),
    ).rejects.toThrow('--ca /nonexistent.pem: ENOENT');
    expect(unescapeText('PING\\r\\n\\x41\\\\t')).toBe('PING\r\nA\\t');
  });
});

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
