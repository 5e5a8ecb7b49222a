/**
 * The builtin lab's userspace director: a TCP relay on the VIP that schedules like IPVS wrr, rr or sh
 * (weight 0 = no new connections, open ones keep flowing), optionally persistent like `ipvsadm -p`, and
 * is driven with ipvsadm commands on a control port. A lab for rehearsals and tests, never a production
 * director.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { formatHostPort, LineFramer, parseHostPort } from '@lvs-drain-kit/common';
import { formatIpvsadmConnections, formatIpvsadmList, type IpvsService } from '@lvs-drain-kit/drivers';
import { LAB_SCHEDULERS } from '../../plan.js';
import { type IpvsadmCommand, parseIpvsadmArgs } from './ipvsadm-args.js';
import { BLACKHOLE_MS, leakShare, type Misbehaviour } from './misbehaviour.js';
import { PersistenceTemplates } from './persistence.js';
import { ShScheduler } from './sh.js';
import { WrrScheduler } from './wrr.js';

/** The schedulers the builtin director has (the lab's table lists them). */
export const BUILTIN_SCHEDULERS = LAB_SCHEDULERS.builtin;
export type BuiltinScheduler = (typeof BUILTIN_SCHEDULERS)[number];

function isBuiltinScheduler(name: string | undefined): name is BuiltinScheduler {
  return (BUILTIN_SCHEDULERS as readonly (string | undefined)[]).includes(name);
}

export interface LabDirectorOptions {
  vip: { host: string; port: number };
  control: { host: string; port: number };
  reals: Array<{ host: string; port: number; weight?: number }>;
  scheduler?: BuiltinScheduler;
  /** A persistent service: templates live this many seconds after a client's last connection ended. */
  persistent?: number;
  /** net.ipv4.vs.expire_quiescent_template: a template naming a weight-0 server is dropped. Default false, the kernel's. */
  expireQuiescentTemplate?: boolean;
  misbehave?: readonly Misbehaviour[];
}

interface Relay {
  client: Socket;
  upstream: Socket;
  dest: Dest;
}

interface Dest {
  host: string;
  port: number;
  /** What ipvsadm -L shows. */
  weight: number;
  /** What the scheduler uses; differs only under `ignore-restore`. */
  effective: number;
  forwarding: string;
  upperThreshold: number;
  lowerThreshold: number;
  relays: Set<Relay>;
  inactive: number;
}

export interface LabDirector {
  vip: AddressInfo;
  control: AddressInfo;
  /** Runs an ipvsadm argv (without the program name), as the control port does. */
  ipvsadm(argv: readonly string[]): { stdout: string; stderr: string; exitCode: number };
  close(): Promise<void>;
}

export async function startLabDirector(options: LabDirectorOptions): Promise<LabDirector> {
  const misbehave = new Set<string>(options.misbehave ?? []);
  const leak = leakShare(options.misbehave ?? []);
  let scheduler = options.scheduler ?? 'wrr';
  // The real port is known once listening (0 picks one).
  let vipText = formatHostPort(options.vip);
  let serviceDefined = true;
  const dests: Dest[] = options.reals.map((r) => ({
    host: r.host,
    port: r.port,
    weight: r.weight ?? 1,
    effective: r.weight ?? 1,
    forwarding: 'Route',
    upperThreshold: 0,
    lowerThreshold: 0,
    relays: new Set(),
    inactive: 0,
  }));
  const schedView = () =>
    dests.map((d) => ({
      weight: scheduler === 'rr' ? Math.min(d.effective, 1) : d.effective,
      overloaded: d.upperThreshold > 0 && d.relays.size >= d.upperThreshold,
    }));
  const wrr = new WrrScheduler(schedView());
  const sh = new ShScheduler(schedView());
  const destChanged = () => {
    wrr.destChanged(schedView());
    sh.destChanged(schedView());
  };
  let persistent = options.persistent;
  let templates = persistent ? new PersistenceTemplates<Dest>(persistent * 1000) : undefined;
  const expireQuiescent = options.expireQuiescentTemplate ?? false;
  const sticky = new Map<string, Dest>();

  function pick(client: Socket): Dest | undefined {
    const key = `${client.remoteAddress}:${client.remotePort}`;
    const remembered = sticky.get(key);
    if (misbehave.has('sticky-source-port') && remembered && dests.includes(remembered)) return remembered;
    if (leak !== undefined && Math.random() < leak) {
      const drained = dests.find((d) => d.weight === 0);
      if (drained) return drained;
    }
    if (!serviceDefined) return undefined;
    const address = client.remoteAddress ?? '';
    const template = templates?.lookup(address, (d) => d.effective === 0, expireQuiescent);
    if (template && dests.includes(template.dest)) return template.dest;
    const i = scheduler === 'sh' ? sh.schedule(schedView(), address) : wrr.schedule(schedView());
    return i === undefined ? undefined : dests[i];
  }

  function relay(client: Socket): void {
    client.on('error', () => {});
    const dest = pick(client);
    if (!dest) {
      client.resetAndDestroy();
      return;
    }
    sticky.set(`${client.remoteAddress}:${client.remotePort}`, dest);
    const release = templates?.connected(client.remoteAddress ?? '', dest);
    if (release) client.once('close', release);
    attach(client, dest);
  }

  function attach(client: Socket, dest: Dest): Relay {
    const upstream = connect({ host: dest.host, port: dest.port });
    upstream.setNoDelay(true);
    const r: Relay = { client, upstream, dest };
    dest.relays.add(r);
    client.pipe(upstream);
    upstream.pipe(client);
    // A client already half-closed (the upstream's FIN came first) cannot be reset: libuv refuses, and
    // the socket would never close. Closing it is all that is left to do.
    upstream.on('error', () => (client.writableEnded ? client.destroy() : client.resetAndDestroy()));
    client.on('error', () => upstream.destroy());
    const done = () => {
      if (r.dest.relays.delete(r)) {
        r.dest.inactive++;
        setTimeout(() => r.dest.inactive--, 2000).unref();
      }
    };
    client.once('close', () => {
      upstream.destroy();
      done();
    });
    upstream.once('close', () => {
      if (r.upstream !== upstream) return;
      client.end();
      // With the upstream gone the pipe no longer reads the client: keep reading (and dropping), or
      // the client's FIN is never seen and the relay stays counted as active for ever.
      client.resume();
    });
    return r;
  }

  /** A weight went from >0 to 0: what a broken director does to the open connections. */
  function onDrain(dest: Dest): void {
    for (const r of [...dest.relays]) {
      if (misbehave.has('reset-old')) {
        r.upstream.destroy();
        r.client.resetAndDestroy();
      } else if (misbehave.has('hang-old')) {
        r.client.unpipe(r.upstream);
        r.upstream.unpipe(r.client);
        r.client.on('data', () => {});
        r.upstream.on('data', () => {});
      } else if (misbehave.has('close-old')) {
        r.client.unpipe(r.upstream);
        r.upstream.unpipe(r.client);
        r.upstream.destroy();
        r.client.end();
      } else if (misbehave.has('reroute-old')) {
        const other = dests.find((d) => d !== dest && d.effective > 0);
        if (!other) continue;
        const old = r.upstream;
        r.client.unpipe(old);
        old.unpipe(r.client);
        dest.relays.delete(r);
        const moved = connect({ host: other.host, port: other.port });
        moved.setNoDelay(true);
        r.upstream = moved;
        r.dest = other;
        other.relays.add(r);
        r.client.pipe(moved);
        moved.pipe(r.client);
        moved.on('error', () => r.client.resetAndDestroy());
        old.destroy();
      } else if (misbehave.has('blackhole-old')) {
        // Nothing flows either way, and what was sent waits (in our buffers, as in the peers' TCP).
        r.client.unpipe(r.upstream);
        r.upstream.unpipe(r.client);
        setTimeout(() => {
          r.client.pipe(r.upstream);
          r.upstream.pipe(r.client);
        }, BLACKHOLE_MS).unref();
      } else if (misbehave.has('garble-old')) {
        r.client.write('\u0000\u0001 director buffer overrun\n');
      }
    }
  }

  /**
   * `ipvsadm -L -n -c`: one ESTABLISHED entry per open relay, the client as the director sees it and the
   * server it is relayed to now (a `reroute-old` move shows).
   */
  function connectionTable(): string {
    const { host, port } = parseHostPort(vipText);
    const virtual = { host, port };
    return formatIpvsadmConnections(
      dests.flatMap((d) =>
        [...d.relays].map((r) => ({
          protocol: 'TCP',
          expire: '15:00',
          state: 'ESTABLISHED',
          client: {
            host: (r.client.remoteAddress ?? '?').replace(/^::ffff:(?=\d+\.)/, ''),
            port: r.client.remotePort ?? 0,
          },
          virtual,
          server: { host: r.dest.host, port: r.dest.port },
        })),
      ),
    );
  }

  function run(argv: readonly string[]): { stdout: string; stderr: string; exitCode: number } {
    let cmd: IpvsadmCommand;
    try {
      cmd = parseIpvsadmArgs(argv);
    } catch (err) {
      return { stdout: '', stderr: `${(err as Error).message}\n`, exitCode: 2 };
    }
    const fail = (msg: string) => ({ stdout: '', stderr: `${msg}\n`, exitCode: 1 });
    const ok = (stdout = '') => ({ stdout, stderr: '', exitCode: 0 });
    const sameService = !cmd.service || formatHostPort(cmd.service) === vipText;
    if (cmd.command === 'list' && cmd.connections) return ok(connectionTable());
    if (cmd.command === 'list') {
      if (cmd.service && (!sameService || !serviceDefined)) return fail('No such service');
      const services: IpvsService[] = serviceDefined
        ? [
            {
              protocol: 'TCP',
              address: vipText,
              scheduler,
              flags: persistent ? `persistent ${persistent}` : '',
              servers: dests.map((d) => ({
                host: d.host,
                port: d.port,
                forwarding: d.forwarding,
                weight: d.weight,
                upperThreshold: d.upperThreshold,
                lowerThreshold: d.lowerThreshold,
                activeConn: d.relays.size,
                inactConn: d.inactive,
              })),
            },
          ]
        : [];
      return ok(formatIpvsadmList(services, { thresholds: cmd.thresholds ?? false }));
    }
    if (cmd.command === 'zero') return ok();
    if (cmd.command === 'clear') {
      serviceDefined = false;
      dests.length = 0;
      destChanged();
      return ok();
    }
    if (!cmd.service) return fail('Service address required');
    if (!sameService) return fail(`the builtin lab director serves one virtual service, TCP ${vipText}`);
    switch (cmd.command) {
      case 'add-service':
      case 'edit-service':
        if (cmd.command === 'add-service' && serviceDefined) return fail('Service already exists');
        if (cmd.scheduler !== undefined && !isBuiltinScheduler(cmd.scheduler))
          return fail(`Scheduler not found: the builtin lab has ${BUILTIN_SCHEDULERS.join(', ')}`);
        serviceDefined = true;
        scheduler = cmd.scheduler ?? (cmd.command === 'add-service' ? 'wrr' : scheduler);
        // -A and -E set persistence as given: without -p the service is not persistent.
        persistent = cmd.persistent;
        templates = persistent ? new PersistenceTemplates<Dest>(persistent * 1000) : undefined;
        destChanged();
        return ok();
      case 'delete-service':
        serviceDefined = false;
        return ok();
      default:
        break;
    }
    if (!serviceDefined) return fail('Service not defined');
    if (!cmd.real) return fail('Destination address required');
    const real = cmd.real;
    const i = dests.findIndex((d) => d.host === real.host && d.port === real.port);
    if (cmd.command === 'add-server') {
      if (i >= 0) return fail('Destination already exists');
      dests.push({
        host: real.host,
        port: real.port,
        weight: cmd.weight ?? 1,
        effective: cmd.weight ?? 1,
        forwarding: cmd.forwarding ?? 'Route',
        upperThreshold: cmd.upperThreshold ?? 0,
        lowerThreshold: cmd.lowerThreshold ?? 0,
        relays: new Set(),
        inactive: 0,
      });
      destChanged();
      return ok();
    }
    if (i < 0) return fail('No such destination');
    const d = dests[i]!;
    if (cmd.command === 'delete-server') {
      dests.splice(i, 1);
      templates?.forget(d);
      destChanged();
      return ok();
    }
    // -e resets what it is not given, as ipvsadm does: forwarding to Route, weight to 1, thresholds to 0.
    const weight = cmd.weight ?? 1;
    const wasUp = d.effective > 0;
    d.forwarding = cmd.forwarding ?? 'Route';
    d.upperThreshold = cmd.upperThreshold ?? 0;
    d.lowerThreshold = cmd.lowerThreshold ?? 0;
    d.weight = weight;
    if (!(misbehave.has('ignore-restore') && d.effective === 0 && weight > 0)) d.effective = weight;
    destChanged();
    if (wasUp && d.effective === 0) onDrain(d);
    return ok();
  }

  const vipServer = createServer({ noDelay: true }, relay);
  const controlServer = createServer((socket) => {
    const framer = new LineFramer({ maxLineBytes: 65536 });
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      const line = framer.push(chunk).lines[0];
      if (line === undefined) return;
      let reply: { stdout: string; stderr: string; exitCode: number };
      try {
        const req = JSON.parse(line) as { argv?: unknown };
        if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string'))
          throw new Error('argv must be an array of strings');
        reply = run(req.argv as string[]);
      } catch (err) {
        reply = { stdout: '', stderr: `bad request: ${(err as Error).message}\n`, exitCode: 2 };
      }
      socket.end(`${JSON.stringify(reply)}\n`);
    });
  });
  await listen(vipServer, options.vip);
  await listen(controlServer, options.control);
  const bound = vipServer.address() as AddressInfo;
  vipText = formatHostPort({ host: bound.address, port: bound.port });
  const openSockets = () => dests.flatMap((d) => [...d.relays]);
  return {
    vip: vipServer.address() as AddressInfo,
    control: controlServer.address() as AddressInfo,
    ipvsadm: run,
    async close() {
      for (const r of openSockets()) {
        r.client.destroy();
        r.upstream.destroy();
      }
      await Promise.all([close(vipServer), close(controlServer)]);
    },
  };
}

function listen(server: Server, at: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
  });
}
