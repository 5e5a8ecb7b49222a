/**
 * Two rs-servers and the builtin lab director in this process, plus a hook `--exec` can call to do real
 * harm or real work to a server: `node HOOK crash rs1` (every connection closed at once, the listener
 * gone), `restart rs1` (crash, then a new server on the same address), `weight rs1 3` (someone else
 * changes the weight). The hook is a script that sends its arguments to a port of this process.
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriver, type DrainDriver } from '@lvs-drain-kit/drivers';
import { type LabDirector, startLabDirector } from '@lvs-drain-kit/lab';
import { type RsServer, startRsServer } from '@lvs-drain-kit/server';
import { pino } from 'pino';
import type { MaintainOptions } from '../../src/maintain/options.js';

export interface MaintenanceLab {
  /** What runMaintain needs but the settings under test. */
  base: Pick<MaintainOptions, 'vip' | 'reals' | 'driver' | 'driverSpec' | 'journalPath'>;
  driver: DrainDriver;
  director: LabDirector;
  /** `node HOOK` as a shell word pair, to put in front of the hook's arguments in `--exec`. */
  hook: string;
  servers: Map<string, RsServer>;
  weight(name: string): number | undefined;
  setWeight(name: string, weight: number): void;
  /** A client connection through the VIP that stays open (and silent) until closed; resolves once answered by `name`. */
  pin(name: string): Promise<Socket>;
  /** Every server up and at weight 1 again, pinned connections closed, the journal removed. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const log = pino({ level: 'silent' });
const common = { port: 0, maxLineBytes: 4096, idleTimeoutMs: 0, maxConnections: 0, keepAliveMs: 0, log };
const HOSTS: Record<string, string> = { rs1: '127.0.0.2', rs2: '127.0.0.3' };

export async function startMaintenanceLab(): Promise<MaintenanceLab> {
  const dir = await mkdtemp(join(tmpdir(), 'lvs-verify-maintain-'));
  const servers = new Map<string, RsServer>();
  const ports = new Map<string, number>();
  for (const [name, host] of Object.entries(HOSTS)) {
    const s = await startRsServer({ ...common, host, name });
    servers.set(name, s);
    ports.set(name, s.address.port);
  }
  const reals = [...servers.entries()].map(([name, s]) => ({ host: s.address.address, port: s.address.port, name }));
  const director = await startLabDirector({
    vip: { host: '127.0.0.1', port: 0 },
    control: { host: '127.0.0.1', port: 0 },
    reals,
  });
  const vip = { host: '127.0.0.1', port: director.vip.port };
  const address = (name: string) => `${HOSTS[name]}:${ports.get(name)}`;
  const setWeight = (name: string, weight: number) => {
    const r = director.ipvsadm(['-e', '-t', `127.0.0.1:${vip.port}`, '-r', address(name), '-w', String(weight)]);
    if (r.exitCode !== 0) throw new Error(r.stderr);
  };
  const weight = (name: string) => {
    const out = director.ipvsadm(['-L', '-n', '-t', `127.0.0.1:${vip.port}`]).stdout;
    const row = out.split('\n').find((l) => l.trim().startsWith(`-> ${address(name)} `));
    return row === undefined ? undefined : Number(row.trim().split(/\s+/)[3]);
  };
  const crash = async (name: string) => {
    await servers.get(name)?.destroy();
    servers.delete(name);
  };
  const start = async (name: string) => {
    servers.set(name, await startRsServer({ ...common, host: HOSTS[name]!, port: ports.get(name)!, name }));
  };
  const hookServer: Server = createServer((socket) => {
    socket.setEncoding('utf8');
    socket.once('data', async (line: string) => {
      const [what, name, arg] = line.trim().split(' ');
      try {
        if (!name || !HOSTS[name]) throw new Error(`no server ${name}`);
        if (what === 'crash') await crash(name);
        else if (what === 'restart') {
          await crash(name);
          await start(name);
        } else if (what === 'weight') setWeight(name, Number(arg));
        else throw new Error(`unknown hook ${what}`);
        socket.end('ok\n');
      } catch (err) {
        socket.end(`error ${(err as Error).message}\n`);
      }
    });
  });
  hookServer.listen(0, '127.0.0.1');
  await once(hookServer, 'listening');
  const hookPort = (hookServer.address() as { port: number }).port;
  const hookFile = join(dir, 'hook.mjs');
  await writeFile(
    hookFile,
    [
      "import { connect } from 'node:net';",
      `const s = connect(${hookPort}, '127.0.0.1');`,
      "s.setEncoding('utf8');",
      "s.on('connect', () => s.write(process.argv.slice(2).join(' ') + '\\n'));",
      "let answer = '';",
      "s.on('data', (d) => { answer += d; });",
      "s.on('close', () => { process.stdout.write(answer); process.exit(answer.startsWith('ok') ? 0 : 1); });",
      '',
    ].join('\n'),
  );
  const control = `127.0.0.1:${director.control.port}`;
  const driverSpec = { kind: 'builtin' as const, control };
  const driver = await createDriver(driverSpec);
  const pinned: Socket[] = [];
  const journalPath = join(dir, 'journal.json');
  return {
    base: { vip, reals, driver, driverSpec, journalPath },
    driver,
    director,
    hook: `'${process.execPath}' '${hookFile}'`,
    servers,
    weight,
    setWeight,
    async pin(name) {
      for (let i = 0; i < 20; i++) {
        const s = connect(vip.port, '127.0.0.1');
        s.setEncoding('utf8');
        await once(s, 'connect');
        s.write('hello\n');
        const [reply] = (await once(s, 'data')) as [string];
        if (reply.includes(`host: ${name}`)) {
          s.on('error', () => {});
          pinned.push(s);
          return s;
        }
        s.destroy();
      }
      throw new Error(`no connection through the VIP reached ${name}`);
    },
    async reset() {
      for (const s of pinned.splice(0)) s.destroy();
      for (const name of Object.keys(HOSTS)) {
        if (!servers.has(name)) await start(name);
        if (weight(name) !== 1) setWeight(name, 1);
      }
      await rm(journalPath, { force: true });
    },
    async close() {
      for (const s of pinned.splice(0)) s.destroy();
      hookServer.close();
      await director.close();
      await Promise.all([...servers.values()].map((s) => s.destroy()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
