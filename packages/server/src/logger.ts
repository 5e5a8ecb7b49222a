import { escapeControl } from '@lvs-drain-kit/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat } from './options.js';

/** The longest the flush before exit waits for stdout to take the last records. */
const FLUSH_LIMIT_MS = 2000;

export interface ServerLogger {
  log: Logger;
  /**
   * Writes out every record logged so far, in order, and resolves once they are written; call before
   * exit. Records logged after it may be dropped.
   */
  flush(): Promise<void>;
}

export interface LoggerOptions {
  format: LogFormat;
  level: string;
  /** Where records go; default stdout (fd 1). Tests pass a stream. */
  destination?: DestinationStream | undefined;
}

/**
 * JSON goes through pino's asynchronous destination: a reply never waits on a
 * log write. Pretty output is for a person at a terminal, where volume is low.
 */
export function createLogger(options: LoggerOptions): ServerLogger {
  const base = { base: { pid: process.pid }, level: options.level };
  if (options.destination) {
    const log = pino(base, options.destination);
    return { log, flush: async () => {} };
  }
  if (options.format === 'pretty') {
    const stream = pretty({
      colorize: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      ignore: 'pid,hostname',
      translateTime: 'SYS:HH:MM:ss.l',
      sync: true,
      singleLine: true,
      // A peer must not be able to drive the operator's terminal with escape sequences: fields are
      // printed as JSON on one line (control characters become \uXXXX), the message is escaped here.
      messageFormat: (log, messageKey) => escapeControl(String(log[messageKey] ?? '')),
    });
    return { log: pino(base, stream), flush: async () => {} };
  }
  const dest = pino.destination({ dest: 1, sync: false });
  // Records of one event-loop turn are handed to the destination together at the end of that turn. The
  // destination measures its whole pending buffer on every write; one write per record made per-line
  // logging cost as much as 40% of a round trip at 1,000 connections.
  let turn = '';
  let closed = false;
  const endTurn = () => {
    const records = turn;
    turn = '';
    // Once the flush before exit has begun, the destination is ending: a later record is dropped.
    if (records !== '' && !closed) dest.write(records);
  };
  const perTurn = {
    write(record: string) {
      if (turn === '') setImmediate(endTurn);
      turn += record;
      return true;
    },
  };
  const log = pino(base, perTurn);
  let ended: Promise<void> | undefined;
  return {
    log,
    flush: () => {
      endTurn();
      // end(), not flushSync(): flushSync writes what is buffered at once, ahead of a write still in
      // flight in the thread pool, which then lands after it or, at process.exit, not at all.
      ended ??= new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(limit);
          resolve();
        };
        // A stdout nobody reads (a stalled pipe) must not keep a stopped server from exiting.
        const limit = setTimeout(done, FLUSH_LIMIT_MS);
        dest.once('close', done);
        // stdout already gone (closed pipe): nothing left to save.
        dest.once('error', done);
        dest.end();
        closed = true;
      });
      return ended;
    },
  };
}
