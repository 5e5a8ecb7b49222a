import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { runClient, startClient } from '@lvs-drain-kit/testkit';
import { afterEach, describe, expect, it } from 'vitest';

describe('lvs-client listen and --udp', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const listen = async (...args: string[]) => {
    const l = startClient(['listen', '0', '--host', '127.0.0.1', ...args]);
    cleanups.push(() => l.stop());
    const [, port] = await l.waitFor('stderr', /listening on 127\.0\.0\.1:(\d+)/);
    return { l, port: Number(port) };
  };

  const tcpClient = async (port: number): Promise<{ socket: Socket; received: () => string }> => {
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    await once(socket, 'connect');
    let data = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      data += d;
    });
    return { socket, received: () => data };
  };

  it('listen (TCP): shows each client line with its number and address; stdin lines go to the selected client', async () => {
    const { l, port } = await listen();
    const c1 = await tcpClient(port);
    await l.waitFor('stdout', /#1 127\.0\.0\.1:\d+ \*: connected \(selected\)/);
    const c2 = await tcpClient(port);
    await l.waitFor('stdout', /#2 127\.0\.0\.1:\d+ \*: connected; \/to 2 to talk to it/);
    c1.socket.write('hello from one\n');
    c2.socket.write('hello from two\r\n');
    await l.waitFor('stdout', /^\d\d:\d\d:\d\d\.\d{3} #1 127\.0\.0\.1:\d+ R: hello from one$/m);
    await l.waitFor('stdout', /^\d\d:\d\d:\d\d\.\d{3} #2 127\.0\.0\.1:\d+ R: hello from two$/m);

    l.child.stdin.write('to the first\n');
    await expect.poll(c1.received).toBe('to the first\n');
    l.child.stdin.write('/to 2\nto the second\n/clients\n');
    await expect.poll(c2.received).toBe('to the second\n');
    await l.waitFor('stderr', /^\* #2 127\.0\.0\.1:\d+ {2}since /m);
    expect(c1.received()).toBe('to the first\n');

    c2.socket.end();
    await l.waitFor('stdout', /#2 127\.0\.0\.1:\d+ \*: closed the connection/);
    c1.socket.resetAndDestroy();
    await l.waitFor('stdout', /#1 127\.0\.0\.1:\d+ \*: reset the connection/);
    expect(await l.stop()).toBe(0);
  });

  it('listen: //text on stdin reaches the client as /text', async () => {
    const { l, port } = await listen();
    const c = await tcpClient(port);
    await l.waitFor('stdout', /#1 127\.0\.0\.1:\d+ \*: connected \(selected\)/);
    l.child.stdin.write('//to 2\n');
    await expect.poll(c.received).toBe('/to 2\n');
    await l.waitFor('stdout', /#1 127\.0\.0\.1:\d+ S: \/to 2$/m);
    expect(await l.stop()).toBe(0);
  });

  it('listen reports a port in use with one line and exit 6', async () => {
    const { port } = await listen();
    const r = await runClient(['listen', String(port), '--host', '127.0.0.1']);
    expect(r.code).toBe(6);
    expect(r.stderr.trim()).toBe(`lvs-client: cannot listen on 127.0.0.1:${port}: address already in use`);
  });

  it('connect --udp sends one datagram per line and prints each reply datagram', async () => {
    const server: UdpSocket = createSocket('udp4');
    cleanups.push(() => new Promise((r) => server.close(() => r(undefined))));
    const got: string[] = [];
    server.on('message', (msg, rinfo) => {
      got.push(msg.toString());
      server.send(`it's from the host: udp-${got.length}`, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    const r = await runClient(['connect', '--udp', `127.0.0.1:${server.address().port}`], 'first\nsecond line\n');
    expect(r.code).toBe(0);
    expect(got).toEqual(['first', 'second line']);
    expect(r.stdout).toBe("it's from the host: udp-1\nit's from the host: udp-2\n");
    expect(r.stderr).toMatch(/connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+ \(udp\)/);
  });

  it('connect --udp to a listen --udp: datagrams both ways', async () => {
    const { l, port } = await listen('--udp');
    const client = startClient(['connect', '--udp', `127.0.0.1:${port}`, '--timeout', '5s']);
    cleanups.push(() => client.stop());
    client.child.stdin.write('ping over udp\n');
    await l.waitFor('stdout', /#1 127\.0\.0\.1:\d+ R: ping over udp$/m);
    l.child.stdin.write('pong over udp\n');
    await client.waitFor('stdout', /^pong over udp$/m);
    client.child.stdin.end();
    const [code] = (await once(client.child, 'close')) as [number];
    expect(code).toBe(0);
  });

  it('connect --udp to a port with nobody on it fails as refused (ICMP port unreachable), exit 5', async () => {
    const probe: UdpSocket = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise((r) => probe.close(() => r(undefined)));
    const r = await runClient(['connect', '--udp', `127.0.0.1:${port}`, '--timeout', '2s'], 'anyone\n');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('peer refused the datagram (ICMP port unreachable) after 0 of 1 replies');
  });
});
