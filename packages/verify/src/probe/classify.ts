import type { FailureClass } from '../report/types.js';

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
