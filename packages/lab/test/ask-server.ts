/** One line to a lab address, as a client sends it: the name of the server that answered. */
import { connect } from 'node:net';
import { LineFramer, parseReply } from '@lvs-drain-kit/common';

export function ask(at: { host: string; port: number }): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const s = connect(at);
    const framer = new LineFramer();
    const timer = setTimeout(() => reject(new Error('no reply within 5 s')), 5000);
    s.on('connect', () => s.write('hi\n'));
    s.on('data', (chunk) => {
      const line = framer.push(chunk).lines[0];
      if (line === undefined) return;
      clearTimeout(timer);
      s.end();
      resolve(parseReply(line));
    });
    s.on('error', reject);
  });
}
