/**
 * The load generator in Node, for machines without cc: same arguments and
 * stdin/stdout protocol as loadgen.c (see there). Slower, so on a small
 * machine it may be the bottleneck; the bench reports its CPU share either way.
 */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const [mode, host, portArg, connsArg, sourcesArg, timeoutArg] = process.argv.slice(2);
if (!mode || !host?.startsWith('127.') || !sourcesArg?.split(',').every((s) => s.startsWith('127.'))) {
  process.stderr.write('usage: loadgen-fallback rt|hold|connect 127.x PORT CONNS SOURCES TIMEOUT_MS\n');
  process.exit(2);
}
const port = Number(portArg);
const conns = Number(connsArg);
const sources = sourcesArg.split(',');
const timeoutMs = Number(timeoutArg);
const LINE = mode === 'connect' ? 'shutdown\n' : 'hello\n';

const latencies: number[] = [];
let completed = 0;
let errors = 0;
let connectErrors = 0;
let running = false;
let measuring = false;
let open = 0;
let nextSource = 0;
const sockets = new Set<Socket>();
/** Sends the next line on each answered connection: starts the closed loop. */
const kicks = new Set<() => void>();

const input = createInterface({ input: process.stdin });
const commands: string[] = [];
let onCommand: (() => void) | undefined;
input.on('line', (l) => {
  commands.push(l);
  onCommand?.();
});
input.on('close', () => {
  commands.push('');
  onCommand?.();
});
const nextCommand = () =>
  new Promise<string>((resolve) => {
    const take = () => {
      if (commands.length > 0) resolve(commands.shift()!);
      else onCommand = take;
    };
    take();
  });

/** One connection; resolves once it is answered the first time (or failed). */
function start(churn: boolean): Promise<void> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let sent = t0;
    let first = true;
    const s = connect({ host, port, localAddress: sources[nextSource++ % sources.length], noDelay: true });
    sockets.add(s);
    const send = () => {
      sent = process.hrtime.bigint();
      s.write(LINE);
    };
    s.on('connect', () => {
      open++;
      send();
    });
    s.on('data', (d: Buffer) => {
      if (!d.includes(0x0a)) return;
      const now = process.hrtime.bigint();
      if (measuring && (running || churn)) {
        completed++;
        latencies.push(Number(now - (churn ? t0 : sent)));
      }
      if (first) {
        first = false;
        kicks.add(send);
        resolve();
      } else if (mode === 'rt' && running) {
        send();
      }
    });
    s.on('error', () => {
      if (first) connectErrors++;
      else if (!churn) errors++;
      resolve();
    });
    s.on('close', () => {
      sockets.delete(s);
      kicks.delete(send);
      if (!first) open--;
      resolve();
    });
  });
}

function histogram(): Array<[number, number]> {
  const counts = new Map<number, number>();
  for (const ns of latencies) {
    const key = Number(ns.toPrecision(3));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()];
}

function result(elapsedNs: number, cpu0: NodeJS.CpuUsage) {
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({
      event: 'result',
      completed,
      elapsedNs,
      cpuNs: (cpu.user + cpu.system) * 1000,
      errors,
      connectErrors,
      open,
      hist: histogram(),
    })}\n`,
  );
}

const deadline = Date.now() + timeoutMs;
const bounded = <T>(p: Promise<T>) => Promise.race([p, new Promise((r) => setTimeout(r, timeoutMs).unref())]);

if (mode === 'connect') {
  process.stdout.write(`${JSON.stringify({ event: 'ready', connected: 0, failed: 0 })}\n`);
  const ms = Number((await nextCommand()).split(' ')[2] ?? 0);
  process.stdout.write(`${JSON.stringify({ event: 'measuring' })}\n`);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const end = Date.now() + ms;
  measuring = true;
  const loop = async () => {
    while (Date.now() < end) await start(true);
  };
  await Promise.race([Promise.all(Array.from({ length: conns }, loop)), new Promise((r) => setTimeout(r, ms + 1000))]);
  result(Number(process.hrtime.bigint() - t0), cpu0);
} else {
  const pending: Promise<void>[] = [];
  for (let i = 0; i < conns && Date.now() < deadline; i++) {
    pending.push(start(false));
    if (pending.length % 512 === 0) await bounded(Promise.all(pending.slice(-512)));
  }
  await bounded(Promise.all(pending));
  process.stdout.write(`${JSON.stringify({ event: 'ready', connected: open, failed: conns - open })}\n`);
  const cmd = await Promise.race([nextCommand(), new Promise<string>((r) => setTimeout(() => r(''), timeoutMs))]);
  if (mode === 'rt') {
    const [, warmup, ms] = cmd.split(' ').map(Number);
    running = true;
    for (const kick of kicks) kick();
    await new Promise((r) => setTimeout(r, warmup ?? 0));
    process.stdout.write(`${JSON.stringify({ event: 'measuring' })}\n`);
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    measuring = true;
    await new Promise((r) => setTimeout(r, ms ?? 0));
    measuring = false;
    result(Number(process.hrtime.bigint() - t0), cpu0);
  } else {
    result(0, { user: 0, system: 0 });
  }
}
// Hold the connections until told (the parent stops the server first), bounded.
await Promise.race([nextCommand(), new Promise((r) => setTimeout(r, timeoutMs))]);
for (const s of sockets) s.destroy();
process.exit(0);
