import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createSerialTransport } from '../src/transports/serial.js';
import { ReplyCollector, scriptFor } from '../src/transports/serial-framing.js';

const run = promisify(execFile);

/**
 * A stand-in for the IPVS lab VM's /init on the other end of the socket: the same wire protocol, and the
 * script really runs in /bin/sh, so quoting is checked end to end. It can lose the first request.
 */
async function fakeGuest(path: string, options: { loseFirst?: boolean } = {}) {
  let lost = !options.loseFirst;
  const executed: string[] = [];
  const server: Server = createServer((socket) => {
    let buffer = '';
    socket.on('data', async (chunk) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        const [nonce, len, payload] = line.split(' ');
        if (!nonce || !payload || Number(len) !== payload.length) continue;
        if (!lost) {
          lost = true; // a dropped line: no ACK, the host must send it again
          continue;
        }
        socket.write(`__ACK__ ${nonce}\n`);
        if (executed.includes(nonce)) continue;
        executed.push(nonce);
        const script = Buffer.from(payload, 'base64').toString();
        const r = await run('/bin/sh', ['-c', script]).then(
          (x) => ({ ...x, code: 0 }),
          (e: { stdout: string; stderr: string; code: number }) => e,
        );
        const b64 = (s: string) =>
          Buffer.from(s)
            .toString('base64')
            .replace(/(.{76})/g, '$1\n');
        socket.write(
          `boot noise\n__BEGIN__ ${nonce}\n${b64(r.stdout)}\n__STDERR__ ${nonce}\n${b64(r.stderr)}\n__END__ ${nonce} ${r.code}\n`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { executed, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(options: { loseFirst?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'ldk-serial-'));
  const sock = join(dir, 'ctl.sock');
  const guest = await fakeGuest(sock, options);
  cleanup.push(() => rm(dir, { recursive: true, force: true }), guest.close);
  return { sock, guest };
}

describe('serial command transport', () => {
  it('runs argv word for word (quotes, newlines, $, spaces) and returns stdout, stderr and the exit code', async () => {
    const { sock } = await setup();
    const t = createSerialTransport(sock);
    const nasty = ["it's", 'a b', '$HOME', 'line\nbreak', '`x`', '*', ''];
    const r = await t.run(['printf', '[%s]\\n', ...nasty]);
    expect(r).toEqual({ stdout: nasty.map((a) => `[${a}]\n`).join(''), stderr: '', exitCode: 0 });
    const failing = await t.run(['sh', '-c', 'echo oops >&2; exit 7']);
    expect(failing).toEqual({ stdout: '', stderr: 'oops\n', exitCode: 7 });
    expect((await t.run(['cat'], { input: 'from stdin\n' })).stdout).toBe('from stdin\n');
    expect((await t.run(['head', '-c', '200000', '/dev/zero'])).stdout).toHaveLength(200_000);
  });

  it('sends a request again when the guest does not acknowledge it, and it runs once', async () => {
    const { sock, guest } = await setup({ loseFirst: true });
    const t = createSerialTransport(sock, { ackTimeoutMs: 100 });
    expect((await t.run(['echo', 'hello'])).stdout).toBe('hello\n');
    expect(guest.executed).toHaveLength(1);
  });

  it('serialises callers: parallel commands each get their own reply', async () => {
    const { sock } = await setup();
    const t = createSerialTransport(sock);
    const replies = await Promise.all([1, 2, 3, 4, 5].map((n) => t.run(['echo', String(n)])));
    expect(replies.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n', '5\n']);
  });

  it('fails with a clear error when nobody listens', async () => {
    const t = createSerialTransport('/nonexistent/ctl.sock', { connectTimeoutMs: 200 });
    await expect(t.run(['true'])).rejects.toThrow(/cannot connect to the director's serial channel/);
  });

  it('reply collector ignores other nonces and stray lines', () => {
    const c = new ReplyCollector('n1');
    for (const line of ['__BEGIN__ n0', 'aGk=', '__END__ n0 0', 'junk', '__ACK__ n1'])
      expect(c.push(line)).toBeUndefined();
    expect(c.acknowledged).toBe(true);
    c.push('__BEGIN__ n1');
    c.push('b2s=');
    c.push('__STDERR__ n1');
    expect(c.push('__END__ n1 3\r')).toEqual({ stdout: 'ok', stderr: '', exitCode: 3 });
  });

  it('builds scripts that feed stdin and never read the serial line', () => {
    expect(scriptFor(['ipvsadm', '-L', '-n'])).toBe('ipvsadm -L -n </dev/null\n');
    expect(scriptFor(['cat'], 'x')).toBe('echo eA== | base64 -d | cat\n');
    expect(scriptFor(['a b', "c'd"])).toBe(`'a b' 'c'\\''d' </dev/null\n`);
  });
});
