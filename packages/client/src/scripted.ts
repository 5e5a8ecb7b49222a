import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { escapeControl, formatHostPort, parseReply } from '@lvs-drain-kit/common';
import { ConnectionDroppedError, ReplyTimeoutError } from './errors.js';
import { type Drop, type Link, type LinkOptions, openLink } from './link.js';

export interface ScriptedOptions extends LinkOptions {
  /** Fail when a reply owed does not come within this long of the last send or reply. */
  timeoutMs: number;
}

export interface ScriptedIO {
  input: Readable;
  /** Received lines, one per line. */
  stdout: Writable & { isTTY?: boolean };
  /** Messages for people: connected, closed. */
  stderr: Writable;
}

export interface ScriptedResult {
  local: string;
  remote: string;
  linesSent: number;
  linesReceived: number;
  /** Replies per server name. */
  perServer: Record<string, number>;
}

/**
 * `lvs-client connect` with stdin not a terminal: sends each stdin line,
 * writes each received line to stdout, and resolves once stdin has ended and
 * every line got its reply. Rejects with `ReplyTimeoutError` or
 * `ConnectionDroppedError` when that cannot happen.
 */
export async function runScripted(options: ScriptedOptions, io: ScriptedIO): Promise<ScriptedResult> {
  let sent = 0;
  let received = 0;
  let inputDone = false;
  let finished = false;
  const perServer: Record<string, number> = {};
  let timer: NodeJS.Timeout | undefined;
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Data goes out as received; only a terminal gets control characters escaped.
  const show = io.stdout.isTTY ? escapeControl : (s: string) => s;

  const finish = (err?: Error) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    if (err) settle!.reject(err);
    else settle!.resolve();
  };
  const owed = () => received < sent;
  const armTimer = () => {
    clearTimeout(timer);
    if (!owed()) return;
    timer = setTimeout(
      () =>
        finish(
          new ReplyTimeoutError(
            `no reply within ${options.timeoutMs}ms (--timeout): ${received} of ${sent} lines answered`,
          ),
        ),
      options.timeoutMs,
    );
  };
  const checkDone = () => {
    if (inputDone && !owed()) finish();
  };

  const link: Link = await openLink(options, {
    onLine: (line) => {
      received++;
      const server = parseReply(line);
      if (server !== undefined) perServer[server] = (perServer[server] ?? 0) + 1;
      io.stdout.write(`${show(line)}\n`);
      armTimer();
      checkDone();
    },
    onDrop: (drop: Drop) => {
      if (finished || drop.kind === 'local') return;
      if (inputDone && !owed()) return finish();
      finish(new ConnectionDroppedError(`${drop.message} after ${received} of ${sent} replies`));
    },
  });
  io.stderr.write(`connected to ${link.remote} from ${link.local} (${link.protocol})\n`);

  const rl = createInterface({ input: io.input, crlfDelay: Number.POSITIVE_INFINITY });
  rl.on('line', (line) => {
    if (finished || !link.open) return;
    link.send(line);
    sent++;
    if (sent === received + 1) armTimer();
  });
  rl.on('close', () => {
    inputDone = true;
    checkDone();
  });

  try {
    await done;
  } finally {
    rl.close();
    link.end();
  }
  io.stderr.write(`sent ${sent} lines, received ${received} to ${formatHostPort(options.target)}\n`);
  return { local: link.local, remote: link.remote, linesSent: sent, linesReceived: received, perServer };
}
