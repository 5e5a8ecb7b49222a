import { parseReply } from '@lvs-drain-kit/common';
import type { FailureClass } from '../report/types.js';

/** A reply line judged against the host the connection is expected to be on. */
export type LineVerdict = { ok: true; host: string } | { ok: false; class: 'wrong-host' | 'garbled'; host?: string };

export function judgeLine(line: string, expectedHost: string | undefined): LineVerdict {
  const host = parseReply(line);
  if (host === undefined) return { ok: false, class: 'garbled' };
  if (expectedHost !== undefined && host !== expectedHost) return { ok: false, class: 'wrong-host', host };
  return { ok: true, host };
}

/** A socket error code as a failure class: RST-like errors are `reset`, the rest that never answered `timeout`. */
export function classifySocketError(code: string | undefined): FailureClass {
  switch (code) {
    case 'ECONNRESET':
    case 'ECONNREFUSED':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'reset';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'timeout';
    default:
      return 'reset';
  }
}
