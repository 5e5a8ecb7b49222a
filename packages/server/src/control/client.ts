/** Asks a running rs-server over its control socket (`rs-server ctl`, `rs-server check --ctl`). */
import { connect } from 'node:net';
import { ControlUnreachableError } from '../errors.js';
import { type ControlAnswer, type ControlRequest, formatControlRequest } from './protocol.js';

export async function askControl(path: string, request: ControlRequest, timeoutMs = 2_000): Promise<ControlAnswer> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(path);
    let got = '';
    const fail = (why: string) => {
      socket.destroy();
      reject(new ControlUnreachableError(`control socket ${path}: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      got += d;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const hint =
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? ' (is rs-server running with this --ctl?)'
          : err.code === 'EACCES'
            ? ' (the socket is its owner’s only: run as the user that runs rs-server, or root)'
            : '';
      fail(`${err.code ?? err.message}${hint}`);
    });
    socket.on('end', () => resolve(got));
    socket.on('connect', () => socket.write(formatControlRequest(request)));
  });
  try {
    return JSON.parse(text) as ControlAnswer;
  } catch {
    throw new ControlUnreachableError(
      `control socket ${path} answered something else: ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
}
