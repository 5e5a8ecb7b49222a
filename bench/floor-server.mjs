// The floor: the least a Node `net` line server can do (no logging, no limits).
// usage: node bench/floor-server.mjs PORT HOST   — prints "Listening Port is N..." once bound.
import { createServer } from 'node:net';
import { hostname } from 'node:os';

const reply = Buffer.from(`it's from the host: ${hostname()}\n`);
const server = createServer((socket) => {
  socket.setNoDelay(true);
  let rest = '';
  socket.on('data', (chunk) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      socket.write(reply);
      if (line === 'shutdown' || line === 'shutdown\r') {
        socket.end();
        return;
      }
    }
  });
  socket.on('error', () => {});
});
server.listen({ port: Number(process.argv[2] ?? 0), host: process.argv[3] ?? '127.0.0.1', backlog: 4096 }, () => {
  console.log(`Listening Port is ${server.address().port}...`);
});
process.on('SIGTERM', () => process.exit(0));
