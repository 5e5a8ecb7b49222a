/**
 * `rs-server realserver up|down` for real, in two network namespaces this test makes (root): `rs` is the
 * real server, `peer` stands for the director on the same link (198.18.0.0/24). It routes the VIP to the
 * real server's address, as a DR director sends frames to its MAC, and asks ARP for the VIP with arping.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const RS = `ldk-rsrv-${process.pid}-rs`;
const PEER = `ldk-rsrv-${process.pid}-peer`;
const DEV_RS = `lr${process.pid}r`.slice(0, 15);
const DEV_PEER = `lr${process.pid}p`.slice(0, 15);
const RS_IP = '198.18.0.2';
const PEER_IP = '198.18.0.1';
const VIP = '198.18.0.100';
const PORT = 2100;
const SYSCTLS = [
  'net.ipv4.conf.all.arp_ignore',
  'net.ipv4.conf.all.arp_announce',
  'net.ipv4.conf.lo.arp_ignore',
  'net.ipv4.conf.lo.arp_announce',
];

let scratch: string;
let server: ChildProcess | undefined;

async function sh(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await exec(args[0]!, args.slice(1));
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: err.stdout ?? '', err: err.stderr ?? '' };
  }
}
const inNs = (ns: string, args: string[]) => sh(['ip', 'netns', 'exec', ns, ...args]);
const must = async (args: string[]) => {
  const r = await sh(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.err}`);
  return r.out;
};

/** rs-server realserver … inside the real server's namespace. */
const realserver = (action: string, ...flags: string[]) =>
  inNs(RS, [process.execPath, RS_SERVER_BIN, 'realserver', action, '--state-file', join(scratch, 'rs.json'), ...flags]);

/** Does anything on the link answer ARP for `ip`? (a fresh question: the peer's neighbour cache is flushed) */
async function answersArp(ip: string): Promise<boolean> {
  await must(['ip', '-n', PEER, 'neigh', 'flush', 'all']);
  return (await inNs(PEER, ['arping', '-c', '1', '-w', '1', '-I', DEV_PEER, ip])).code === 0;
}

/** One line to VIP:PORT from the peer, through the route to the real server; the reply or the error. */
async function lineToVip(): Promise<string> {
  const script = `
    const s = require('node:net').connect({ host: '${VIP}', port: ${PORT}, timeout: 1500 });
    s.on('connect', () => s.write('hello\\n'));
    s.on('data', (d) => { process.stdout.write(String(d)); s.destroy(); });
    s.on('timeout', () => { process.stdout.write('timeout'); s.destroy(); });
    s.on('error', (e) => process.stdout.write(e.code));`;
  return (await inNs(PEER, [process.execPath, '-e', script])).out.trim();
}

async function sysctls(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of SYSCTLS) out[key] = (await must(['ip', 'netns', 'exec', RS, 'sysctl', '-n', key])).trim();
  return out;
}

const vipOnLo = async () =>
  (await must(['ip', '-n', RS, '-4', '-o', 'addr', 'show', 'dev', 'lo'])).includes(`${VIP}/32`);

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'rs-realserver-'));
  await must(['ip', 'netns', 'add', RS]);
  await must(['ip', 'netns', 'add', PEER]);
  await must(['ip', 'link', 'add', DEV_RS, 'netns', RS, 'type', 'veth', 'peer', 'name', DEV_PEER, 'netns', PEER]);
  for (const [ns, dev, ip] of [
    [RS, DEV_RS, RS_IP],
    [PEER, DEV_PEER, PEER_IP],
  ] as const) {
    await must(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
    await must(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    await must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  // The director's part: packets for the VIP go to the real server's MAC.
  await must(['ip', '-n', PEER, 'route', 'add', `${VIP}/32`, 'via', RS_IP]);
  // Not the kernel's default, so that `down` is seen to put back what was there rather than assume 0.
  await must(['ip', 'netns', 'exec', RS, 'sysctl', '-w', 'net.ipv4.conf.all.arp_announce=1']);
  server = spawn('ip', ['netns', 'exec', RS, process.execPath, RS_SERVER_BIN, String(PORT), '--name', 'rsA'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while ((await inNs(PEER, ['bash', '-c', `exec 3<>/dev/tcp/${RS_IP}/${PORT}`])).code !== 0) {
    if (Date.now() > deadline) throw new Error('rs-server did not start in the namespace');
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  server?.kill('SIGKILL');
  for (const ns of [RS, PEER]) await sh(['ip', 'netns', 'del', ns]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('rs-server realserver in a network namespace (root)', () => {
  it('up: VIP traffic accepted, no ARP answer for the VIP; down: both as before, sysctls as they were', async () => {
    const before = await sysctls();
    expect(before['net.ipv4.conf.all.arp_announce']).toBe('1');
    expect(await answersArp(RS_IP)).toBe(true); // the ARP check sees answers when there are some
    expect(await answersArp(VIP)).toBe(false);
    expect(await lineToVip()).not.toMatch(/^it's from the host/);

    // Negative control: a VIP on lo without the ARP settings is answered for — what up must prevent.
    await must(['ip', '-n', RS, 'addr', 'add', `${VIP}/32`, 'dev', 'lo']);
    expect(await answersArp(VIP)).toBe(true);
    await must(['ip', '-n', RS, 'addr', 'del', `${VIP}/32`, 'dev', 'lo']);

    const dry = await realserver('up', '--vip', VIP, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`ip addr add ${VIP}/32 dev lo\n`);
    expect(await vipOnLo()).toBe(false); // a dry run changes nothing

    const up = await realserver('up', '--vip', VIP);
    expect(up.code, up.err).toBe(0);
    expect(up.out).toBe(dry.out.replace(/^/gm, '+ ').replace(/\+ $/, ''));
    expect(await lineToVip()).toBe("it's from the host: rsA");
    expect(await answersArp(VIP)).toBe(false);
    expect(await answersArp(RS_IP)).toBe(true);
    expect((await realserver('status')).code).toBe(0);
    expect(JSON.parse(readFileSync(join(scratch, 'rs.json'), 'utf8'))).toMatchObject({ sysctlsBefore: before });

    const again = await realserver('up', '--vip', VIP);
    expect(again).toMatchObject({ code: 0, out: '', err: `already set up for ${VIP}: nothing to do\n` });

    const down = await realserver('down');
    expect(down.code, down.err).toBe(0);
    expect(await sysctls()).toEqual(before);
    expect(await vipOnLo()).toBe(false);
    expect(await lineToVip()).not.toMatch(/^it's from the host/);
    expect(await answersArp(VIP)).toBe(false);
    expect(existsSync(join(scratch, 'rs.json'))).toBe(false);
    expect((await realserver('status', '--vip', VIP)).code).toBe(4);
    expect((await realserver('down')).err).toContain('nothing to undo');
  });

  it('down leaves alone a value someone changed after up, and says so', async () => {
    const before = await sysctls();
    expect((await realserver('up', '--vip', VIP)).code).toBe(0);
    await must(['ip', 'netns', 'exec', RS, 'sysctl', '-w', 'net.ipv4.conf.all.arp_ignore=2']);
    const down = await realserver('down');
    expect(down.code).toBe(0);
    expect(down.err).toContain('net.ipv4.conf.all.arp_ignore is 2 (changed since realserver up set 1): left alone');
    expect(await sysctls()).toEqual({ ...before, 'net.ipv4.conf.all.arp_ignore': '2' });
    await must([
      'ip',
      'netns',
      'exec',
      RS,
      'sysctl',
      '-w',
      `net.ipv4.conf.all.arp_ignore=${before['net.ipv4.conf.all.arp_ignore']}`,
    ]);
  });
});
