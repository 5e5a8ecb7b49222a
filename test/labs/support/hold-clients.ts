/**
 * Other clients of the service, for the maintain labs tests: run inside a lab's client namespace, opens
 * connections through the VIP until `count` of them are answered by `server` (the others are closed),
 * prints `ready N`, then holds them until SIGTERM, which closes them gracefully (SIGKILL: the kernel
 * closes them).
 * `ip netns exec CLIENT node --import tsx hold-clients.ts '<job json>'`.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface HoldJob {
  vip: { host: string; port: number };
  server: string;
  count: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as HoldJob;
const held: Socket[] = [];
for (let attempt = 0; held.length < job.count && attempt < 200; attempt++) {
  const s = connect(job.vip.port, job.vip.host);
  s.setEncoding('utf8');
  s.on('error', () => {});
  await once(s, 'connect');
  s.write('hello\n');
  const [reply] = (await once(s, 'data')) as [string];
  if (reply.includes(`host: ${job.server}`)) held.push(s);
  else s.end();
}
process.stdout.write(`ready ${held.length}\n`);
process.on('SIGTERM', () => {
  for (const s of held) s.end();
  setTimeout(() => process.exit(0), 300);
});
