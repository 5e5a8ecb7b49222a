import { connect } from 'node:net';
import type { CommandResult, CommandTransport, RunOptions } from '@lvs-drain-kit/common';
import { LineFramer, parseHostPort } from '@lvs-drain-kit/common';
import { DriverError } from '../errors.js';

/**
 * Talks to the builtin lab director's control port: one JSON line `{"argv": [...]}` per
 * connection, one JSON line `{stdout, stderr, exitCode}` back. It speaks ipvsadm only.
 */
export function createLabControlTransport(control: string): CommandTransport {
  const hp = parseHostPort(control.replace(/^tcp:\/\//, ''));
  const description = `builtin lab director ${hp.host}:${hp.port}`;
  return {
    description,
    run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
      if (argv[0] !== 'ipvsadm') {
        return Promise.resolve({
          stdout: '',
          stderr: `${argv[0]}: not available on the builtin lab director\n`,
          exitCode: 127,
        });
      }
      return new Promise((resolve, reject) => {
        const socket = connect({ host: hp.host, port: hp.port });
        const framer = new LineFramer({ maxLineBytes: 1 << 20 });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new DriverError(`${description}: no answer within ${options.timeoutMs ?? 5000} ms`));
        }, options.timeoutMs ?? 5000);
        socket.on('connect', () => socket.write(`${JSON.stringify({ argv: argv.slice(1) })}\n`));
        socket.on('data', (chunk) => {
          const line = framer.push(chunk).lines[0];
          if (line === undefined) return;
          clearTimeout(timer);
          socket.end();
          try {
            resolve(JSON.parse(line) as CommandResult);
          } catch {
            reject(new DriverError(`${description}: unreadable answer`, line));
          }
        });
        socket.on('error', (err) => {
          clearTimeout(timer);
          reject(new DriverError(`cannot reach the ${description}: ${err.message}`));
        });
      });
    },
  };
}
