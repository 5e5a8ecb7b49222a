import { readFile } from 'node:fs/promises';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { connect, createServer as createTcp, type Socket } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '@lvs-drain-kit/testkit';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectFailure, type ProbeSession } from '../src/probe/connection.js';
import { createProbe, type ProbeSpec } from '../src/probe/spec.js';

/** A keep-alive HTTP server on 127.0.0.1 counting the connections it accepted; `handle` answers. */
async function httpServer(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const sockets: Socket[] = [];
  const server = createHttp({ keepAliveTimeout: 60_000 }, handle);
  server.on('connection', (s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

const servers: Array<{ close(): unknown; closeAllConnections?(): void }> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections?.();
    await new Promise((r) => (s as Server).close(r));
  }
});

async function open(spec: ProbeSpec, port: number, identify = true): Promise<ProbeSession> {
  const probe = await createProbe(spec, { identify, vipText: `127.0.0.1:${port}` });
  return probe.open({ host: '127.0.0.1', port, timeoutMs: 1000 });
}

const named = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
  res.setHeader('X-Served-By', name);
  res.end(`served by ${name} for ${req.url}\n`);
};

describe('--probe http', () => {
  it('GETs the path over one keep-alive connection, and names the server from the header', async () => {
    const paths: string[] = [];
    const hosts: string[] = [];
    const s = await httpServer((req, res) => {
      paths.push(req.url ?? '');
      hosts.push(req.headers.host ?? '');
      named('web-1')(req, res);
    });
    servers.push(s.server);
    const conn = await open({ kind: 'http', path: '/healthz', identityHeader: 'X-Served-By' }, s.port);
    for (let i = 0; i < 5; i++) {
      const ex = await conn.ask(`line ${i}`, i === 0 ? undefined : 'web-1', 1000);
      expect(ex).toMatchObject({ ok: true, host: 'web-1' });
    }
    expect(await conn.ask('x', 'web-2', 1000)).toMatchObject({
      ok: false,
      class: 'wrong-host',
      host: 'web-1',
      detail: 'answered by web-1, expected web-2',
    });
    expect(paths).toEqual(Array(6).fill('/healthz'));
    expect(hosts[0]).toBe(`127.0.0.1:${s.port}`);
    expect(s.sockets).toHaveLength(1);
    await conn.shutdown(1000);
  });

  it('names the server from the body with --identity-regex', async () => {
    const s = await httpServer(named('web-2'));
    servers.push(s.server);
    const conn = await open({ kind: 'http', identityRegex: 'served by (?<server>\\S+)' }, s.port);
    expect(await conn.ask('a', undefined, 1000)).toMatchObject({ ok: true, host: 'web-2' });
    conn.destroy();
  });

  it('an unexpected status is garbled, with the status in the message; --expect-status widens what counts', async () => {
    const s = await httpServer((_req, res) => {
      res.statusCode = 503;
      res.setHeader('X-Served-By', 'web-1');
      res.end('down\n');
    });
    servers.push(s.server);
    const conn = await open({ kind: 'http', identityHeader: 'X-Served-By' }, s.port);
    expect(await conn.ask('a', undefined, 1000)).toEqual({
      ok: false,
      class: 'garbled',
      detail: 'HTTP 503 Service Unavailable, expected 2xx,3xx',
    });
    const lenient = await open({ kind: 'http', identityHeader: 'X-Served-By', expectStatus: '2xx,503' }, s.port);
    expect(await lenient.ask('a', undefined, 1000)).toMatchObject({ ok: true, host: 'web-1' });
    conn.destroy();
    lenient.destroy();
  });

  it('an answer without the identity header is garbled; without identity any accepted answer counts', async () => {
    const s = await httpServer((_req, res) => res.end('ok\n'));
    servers.push(s.server);
    const conn = await open({ kind: 'http', identityHeader: 'X-Served-By' }, s.port);
    expect(await conn.ask('a', undefined, 1000)).toMatchObject({
      ok: false,
      class: 'garbled',
      detail: 'HTTP 200 without a X-Served-By header',
    });
    const any = await open({ kind: 'http' }, s.port, false);
    expect(await any.ask('a', 'whoever', 1000)).toMatchObject({ ok: true });
    conn.destroy();
    any.destroy();
  });

  it('an answer that is not HTTP (rs-server) is garbled', async () => {
    const line = createTcp((s) => s.on('data', () => s.write("it's from the host: rs1\n")));
    await new Promise<void>((r) => line.listen(0, '127.0.0.1', r));
    servers.push(line);
    const conn = await open({ kind: 'http', identityHeader: 'X-Served-By' }, (line.address() as { port: number }).port);
    const ex = await conn.ask('a', undefined, 1000);
    expect(ex).toMatchObject({ ok: false, class: 'garbled' });
    expect(ex.ok === false && ex.detail).toMatch(/^not an HTTP answer \(HPE_/);
    conn.destroy();
  });

  it('a keep-alive connection the server closes fails the next exchange (closed): it is never replaced by a new one', async () => {
    const s = await httpServer(named('web-1'));
    servers.push(s.server);
    const conn = await open({ kind: 'http', identityHeader: 'X-Served-By' }, s.port);
    expect((await conn.ask('a', undefined, 1000)).ok).toBe(true);
    s.server.closeIdleConnections();
    await until(() => conn.dead !== undefined);
    expect(await conn.ask('b', 'web-1', 1000)).toMatchObject({
      ok: false,
      class: 'closed',
      detail: 'the server closed the connection (FIN)',
    });
    expect(s.sockets).toHaveLength(1);
  });

  it('Connection: close in an answer ends the connection for the next exchange', async () => {
    const s = await httpServer((req, res) => {
      res.setHeader('Connection', 'close');
      named('web-1')(req, res);
    });
    servers.push(s.server);
    const conn = await open({ kind: 'http', identityHeader: 'X-Served-By' }, s.port);
    expect((await conn.ask('a', undefined, 1000)).ok).toBe(true);
    expect(await conn.ask('b', 'web-1', 1000)).toMatchObject({ ok: false, class: 'closed' });
    expect(s.sockets).toHaveLength(1);
  });

  it('a reset is reset; no answer within the timeout is timeout and ends the connection', async () => {
    let mode: 'reset' | 'hang' = 'reset';
    const s = await httpServer((req, res) => {
      if (mode === 'reset') req.socket.resetAndDestroy();
      else void res;
    });
    servers.push(s.server);
    const conn = await open({ kind: 'http', identityHeader: 'X-Served-By' }, s.port);
    expect(await conn.ask('a', undefined, 1000)).toMatchObject({ ok: false, class: 'reset', detail: 'ECONNRESET' });
    mode = 'hang';
    const slow = await open({ kind: 'http', identityHeader: 'X-Served-By' }, s.port);
    expect(await slow.ask('a', undefined, 200)).toMatchObject({ ok: false, class: 'timeout' });
    expect(slow.dead?.class).toBe('timeout');
  });

  it('shutdown asks the server to close first: no TIME_WAIT holds the local port', async () => {
    const s = await httpServer(named('web-1'));
    servers.push(s.server);
    const conn = await open({ kind: 'http', identityHeader: 'X-Served-By' }, s.port);
    expect((await conn.ask('a', undefined, 1000)).ok).toBe(true);
    const port = conn.localPort;
    await conn.shutdown(1000);
    expect(s.sockets[0]?.destroyed).toBe(true);
    // TIME_WAIT on this side (the client closing first) would refuse the same four-tuple for a minute
    // (EADDRNOTAVAIL). Closing second, this side is in LAST_ACK until the server's last ACK is read, a
    // moment on a busy machine (EADDRINUSE): that wait is bounded to 2 s.
    const reconnect = () =>
      new Promise<Socket>((resolve, reject) => {
        const c = connect({ host: '127.0.0.1', port: s.port, localAddress: '127.0.0.1', localPort: port }, () =>
          resolve(c),
        );
        c.once('error', reject);
      });
    let again: Socket | undefined;
    for (const until = performance.now() + 2000; !again; ) {
      again = await reconnect().catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EADDRINUSE' || performance.now() > until) throw err;
        return new Promise<undefined>((r) => setTimeout(() => r(undefined), 20));
      });
    }
    expect(again.localPort).toBe(port);
    again.destroy();
  });

  it('a new connection answers once with Connection: close when asked for its last exchange', async () => {
    const seen: Array<string | undefined> = [];
    const s = await httpServer((req, res) => {
      seen.push(req.headers.connection);
      named('web-1')(req, res);
    });
    servers.push(s.server);
    const conn = await open({ kind: 'http', identityHeader: 'X-Served-By' }, s.port);
    expect(await conn.ask('a', undefined, 1000, { last: true })).toMatchObject({ ok: true, host: 'web-1' });
    await conn.shutdown(1000);
    expect(seen).toEqual(['close']);
  });
});

describe('--probe http --tls', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let port: number;
  let server: ReturnType<typeof createHttps>;
  beforeAll(async () => {
    dir = await tempDir('ldk-tls-');
    const key = join(dir.path, 'key.pem');
    const cert = join(dir.path, 'cert.pem');
    await execa('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=svc.test',
      '-addext',
      'subjectAltName=DNS:svc.test',
    ]);
    server = createHttps({ key: await readFile(key), cert: await readFile(cert) }, named('tls-1'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await dir.remove();
  });

  it('speaks HTTPS with the given CA and name (SNI and Host)', async () => {
    const hosts: string[] = [];
    server.prependListener('request', (req: IncomingMessage) => hosts.push(req.headers.host ?? ''));
    const conn = await open(
      {
        kind: 'http',
        tls: true,
        servername: 'svc.test',
        ca: join(dir.path, 'cert.pem'),
        identityHeader: 'X-Served-By',
      },
      port,
    );
    expect(await conn.ask('a', undefined, 1000)).toMatchObject({ ok: true, host: 'tls-1' });
    expect(hosts).toEqual(['svc.test']);
    await conn.shutdown(1000);
  });

  it('a certificate that does not verify fails the connect (garbled, TLS); --insecure accepts it', async () => {
    const err = await open({ kind: 'http', tls: true, identityHeader: 'X-Served-By' }, port).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectFailure);
    expect(err.failureClass).toBe('garbled');
    expect(err.message).toMatch(/^TLS: /);
    const wrongName = await open(
      {
        kind: 'http',
        tls: true,
        servername: 'other.test',
        ca: join(dir.path, 'cert.pem'),
        identityHeader: 'X-Served-By',
      },
      port,
    ).catch((e) => e);
    expect(wrongName).toBeInstanceOf(ConnectFailure);
    const conn = await open({ kind: 'http', tls: true, insecure: true, identityHeader: 'X-Served-By' }, port);
    expect(await conn.ask('a', undefined, 1000)).toMatchObject({ ok: true, host: 'tls-1' });
    conn.destroy();
  });
});

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
