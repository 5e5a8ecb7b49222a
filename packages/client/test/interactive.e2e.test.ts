import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LVS_CLIENT_BIN as CLIENT, count, type SpawnedServer, spawnRsServer, TmuxPane } from '@lvs-drain-kit/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

describe('lvs-client connect in a real terminal (tmux)', () => {
  let server: SpawnedServer;
  let pane: TmuxPane | undefined;
  let dir: string;

  beforeAll(async () => {
    server = await spawnRsServer(['--name', 'rs-e2e']);
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-client-tty-'));
  });
  afterEach(async () => {
    await pane?.kill();
    pane = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs the client in the pane with HOME in the test's directory, so the default history file lands
   * there; resolves once it shows its prompt. `env`: more variables for it.
   */
  const start = async (args = '', options: { width?: number; env?: string } = {}) => {
    const started = await TmuxPane.start(
      `${options.env ?? ''} HOME='${dir}' '${process.execPath}' '${CLIENT}' connect 127.0.0.1:${server.port} ${args}`,
      { width: options.width },
    );
    await started.waitFor(/> $/m);
    return started;
  };

  /** Ctrl-D leaves the client, which exits 0. */
  const quit = async (p: TmuxPane) => {
    await p.keys('C-d');
    await p.waitFor(/^EXIT=0$/m);
  };

  it('sends typed lines, shows replies with S:/R: markers, /stats, /info, /hex, /save; Ctrl-D exits 0', async () => {
    pane = await start();
    expect(await pane.capture()).toMatch(/\*: connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+ \(tcp\)/);

    await pane.line('hello');
    let screen = await pane.waitFor("R: it's from the host: rs-e2e");
    expect(screen).toMatch(/^\d\d:\d\d:\d\d\.\d{3} S: hello$/m);
    expect(screen).toMatch(/^\d\d:\d\d:\d\d\.\d{3} R: it's from the host: rs-e2e$/m);

    await pane.line('/stats');
    screen = await pane.waitFor(/^rs-e2e\s+1\s+100\.0%$/m);
    await pane.line('/info');
    screen = await pane.waitFor(/^last rtt\s+\d+\.\d\dms$/m);
    expect(screen).toMatch(/^sent\s+1 lines, 6 bytes$/m);
    expect(screen).toMatch(/^received\s+1 lines, 27 bytes$/m);

    await pane.line('/hex');
    await pane.waitFor('hex view on');
    await pane.line('x');
    screen = await pane.waitFor('|st: rs-e2e.|');
    // The second reply starts at byte 27 (0x1b) of the connection.
    expect(screen).toContain("0000001b  69 74 27 73 20 66 72 6f  6d 20 74 68 65 20 68 6f  |it's from the ho|");
    await pane.line('/hex');
    await pane.waitFor('hex view off');

    const file = join(dir, 'session.txt');
    await pane.line(`/save ${file}`);
    await pane.waitFor(`to ${file}`);
    const saved = readFileSync(file, 'utf8').split('\n');
    expect(saved[0]).toMatch(/^# lvs-client transcript, 127\.0\.0\.1:\d+ \(tcp\), started \d{4}-/);
    expect(saved.filter((l) => / S: (hello|x)$/.test(l))).toHaveLength(2);
    expect(saved.filter((l) => / R: it's from the host: rs-e2e$/.test(l))).toHaveLength(2);

    await quit(pane);
  });

  it('keeps a half-typed line intact while replies arrive, then sends it whole', async () => {
    pane = await start();
    await pane.line('/repeat 4 400 tick');
    await pane.waitFor('S: tick');
    await pane.type('half typed');
    // At least one reply must come after the typing, or the test would prove nothing.
    expect(count(await pane.capture(), "R: it's from the host")).toBeLessThan(4);
    // Replies keep arriving after the typing: each one is printed above the prompt, which is redrawn.
    const screen = await pane.waitFor((s) => s.includes('repeat done') && count(s, "R: it's from the host") === 4);
    const lines = screen.split('\n');
    expect(lines.at(-1)).toBe('> half typed');
    // Nothing of the typed text leaked into the transcript lines above.
    expect(lines.slice(0, -1).some((l) => l.includes('half typed'))).toBe(false);
    await pane.keys('Enter');
    await pane.waitFor(/S: half typed\n.*R: it's from the host: rs-e2e/);
    await pane.line('/quit');
    await pane.waitFor(/^EXIT=0$/m);
  });

  it('redraws a typed line that wraps over several rows without eating transcript lines', async () => {
    pane = await start('--no-history', { width: 40 });
    await pane.line('/repeat 4 400 tick');
    await pane.waitFor('S: tick');
    const typed = 'a half typed line long enough to wrap over two rows of this pane';
    await pane.type(typed);
    await pane.keys('Left', 'Left', 'Left');
    expect(count(await pane.capture(), "R: it's from the host")).toBeLessThan(4);
    const screen = await pane.waitFor((s) => s.includes('repeat done') && count(s, "R: it's from the host") === 4);
    // Transcript lines follow each other, none overwritten (joined where the terminal wrapped them).
    const transcript = screen.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{3} [SR]: /.test(l));
    expect(transcript.map((l) => l.slice(13))).toEqual(
      Array.from({ length: 4 }, () => ['S: tick', "R: it's from the host: rs-e2e"]).flat(),
    );
    // The rows as the terminal shows them: no gap anywhere, and the typed text, over two rows, last.
    const rows = (await pane.tmux('capture-pane', '-p')).replace(/\n+$/, '').split('\n');
    const first = rows.findIndex((r) => r.endsWith('S: tick'));
    expect(rows.slice(first).filter((r) => r.trim() === '')).toEqual([]);
    // The first row ends at "wrap " (40 columns); capture-pane drops that trailing space.
    expect(rows.slice(-2).join(' ')).toBe(`> ${typed}`);
    // The cursor stayed where it was: a typed character lands three from the end.
    await pane.type('X');
    await pane.keys('Enter');
    await pane.waitFor(`S: ${typed.slice(0, -3)}X${typed.slice(-3)}`);
    await quit(pane);
  });

  it('Ctrl-C clears a half-typed line; on an empty line it leaves with exit 0', async () => {
    pane = await start('--no-history');
    await pane.type('not meant to be sent');
    await pane.waitFor(/^> not meant to be sent$/m);
    await pane.keys('C-c');
    await pane.waitFor((s) => /^> ?$/.test(s.split('\n').at(-1) ?? ''));
    await pane.line('meant');
    const screen = await pane.waitFor(/S: meant\n.*R: it's from the host: rs-e2e/);
    expect(screen).not.toContain('S: not meant');
    await pane.keys('C-c');
    await pane.waitFor(/^EXIT=0$/m);
  });

  it('//text sends the line /text: the server receives "/text", and an unknown /command sends nothing', async () => {
    pane = await start('--no-history');
    await pane.line('//status of rs1');
    const screen = await pane.waitFor(/S: \/status of rs1\n.*R: it's from the host: rs-e2e/);
    expect(screen).not.toContain('S: //status');
    const lines = () => server.records.filter((r) => r.msg === 'line').map((r) => r.line);
    await server.waitForRecord((r) => r.msg === 'line' && r.line === '/status of rs1');
    expect(lines()).not.toContain('//status of rs1');
    await pane.line('/status of rs1');
    await pane.waitFor(/unknown command/i);
    await pane.line('after');
    await pane.waitFor(/S: after\n.*R: it's from the host: rs-e2e/);
    await server.waitForRecord((r) => r.msg === 'line' && r.line === 'after');
    // Exactly one "/status of rs1" reached the server: the //-escaped one.
    expect(lines().filter((l) => l === '/status of rs1')).toHaveLength(1);
    await quit(pane);
  });

  it('/close sends shutdown and reports the close by the peer; /reconnect connects again', async () => {
    pane = await start();
    await pane.line('/close');
    let screen = await pane.waitFor('connection closed by peer after "shutdown"');
    expect(screen).toMatch(/S: shutdown\n.*R: it's from the host: rs-e2e/);
    await pane.waitFor(/\(not connected\) > $/m);
    await pane.line('nothing');
    await pane.waitFor('not connected: /reconnect');
    await pane.line('/reconnect');
    screen = await pane.waitFor((s) => count(s, '*: connected to') === 2);
    await pane.line('again');
    await pane.waitFor(/S: again\n.*R: it's from the host: rs-e2e/);
    await quit(pane);
  });

  it('keeps history in a file under the home directory across runs; --no-history keeps none', async () => {
    pane = await start();
    await pane.line('from the first run');
    await pane.waitFor('S: from the first run');
    await quit(pane);
    await pane.kill();
    const file = join(dir, '.lvs_client_history');
    expect(readFileSync(file, 'utf8')).toBe('from the first run\n');

    pane = await start();
    await pane.keys('Up');
    await pane.waitFor(/^> from the first run$/m);
    await pane.keys('Enter');
    await pane.waitFor(/S: from the first run\n.*R: it's from the host/);
    await quit(pane);
    await pane.kill();

    rmSync(file);
    pane = await start('--no-history');
    await pane.line('not kept');
    await pane.waitFor('S: not kept');
    await quit(pane);
    expect(existsSync(file)).toBe(false);
  });

  it('a refused connection is one clear line and a non-zero exit, also on a terminal', async () => {
    pane = await TmuxPane.start(`'${process.execPath}' '${CLIENT}' connect 127.0.0.1:1 --no-history`);
    const screen = await pane.waitFor(/^EXIT=\d+$/m);
    expect(screen).toContain('lvs-client: cannot connect to 127.0.0.1:1: connection refused');
    expect(screen).toMatch(/^EXIT=3$/m);
  });

  it('colours replies on a terminal; NO_COLOR and --no-color turn colours off', async () => {
    const bold = '\u001b[1m';
    pane = await start();
    await pane.line('c');
    await pane.waitFor('R: it');
    expect(await pane.captureWithEscapes()).toContain(bold);
    await pane.kill();
    for (const variant of ['NO_COLOR=1', '--no-color']) {
      pane = await (variant === '--no-color'
        ? start('--no-history --no-color')
        : start('--no-history', { env: variant }));
      await pane.line('c');
      await pane.waitFor('R: it');
      expect(await pane.captureWithEscapes()).not.toContain('\u001b[');
      await pane.kill();
    }
  });

  it('listen: shows each client with its address; typed lines go to the client chosen with /to N', async () => {
    pane = await TmuxPane.start(`'${process.execPath}' '${CLIENT}' listen 0 --host 127.0.0.1`);
    const [, port] = /listening on 127\.0\.0\.1:(\d+)/.exec(await pane.waitFor(/listening on 127\.0\.0\.1:\d+/))!;
    const clients: Array<{ socket: Socket; data: string }> = [];
    try {
      for (let i = 0; i < 2; i++) {
        const c = { socket: connect(Number(port), '127.0.0.1'), data: '' };
        c.socket.setEncoding('utf8').on('data', (d: string) => {
          c.data += d;
        });
        clients.push(c);
        await pane.waitFor(`#${i + 1} 127.0.0.1:`);
      }
      await pane.waitFor(/^#1 > $/m);
      clients[1]!.socket.write('from the second\n');
      await pane.waitFor(/#2 127\.0\.0\.1:\d+ R: from the second$/m);
      await pane.line('/to 2');
      await pane.waitFor(/^#2 > $/m);
      await pane.line('hello two');
      await expect.poll(() => clients[1]!.data).toBe('hello two\n');
      await pane.line('/clients');
      await pane.waitFor(/^\* #2 127\.0\.0\.1:\d+/m);
      expect(clients[0]!.data).toBe('');
      await quit(pane);
    } finally {
      for (const c of clients) c.socket.destroy();
    }
  });

  it('--udp: each typed line is one datagram, each reply datagram an R: line', async () => {
    const udp = createSocket('udp4');
    const got: string[] = [];
    udp.on('message', (msg, rinfo) => {
      got.push(msg.toString());
      udp.send(`it's from the host: udp-rs`, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    try {
      pane = await TmuxPane.start(
        `'${process.execPath}' '${CLIENT}' connect --udp 127.0.0.1:${udp.address().port} --no-history`,
      );
      await pane.waitFor(/\(udp\)\n/);
      await pane.line('one datagram');
      await pane.waitFor(/S: one datagram\n.*R: it's from the host: udp-rs$/m);
      await pane.line('/stats');
      await pane.waitFor(/^udp-rs\s+1\s+100\.0%$/m);
      expect(got).toEqual(['one datagram']);
      await quit(pane);
    } finally {
      await new Promise((r) => udp.close(() => r(undefined)));
    }
  });
});
