/**
 * The control socket's protocol: one request line, one JSON answer line, then the server closes.
 *   status | check | drain | ready | maint | weight <0-256|none>
 * `check` is `status` asked by a health checker (counted as one, see DrainState.observed).
 */
import type { RequestedState, ServingState } from '../state.js';

export type ControlRequest =
  | { kind: 'status' }
  | { kind: 'check' }
  | { kind: 'state'; state: RequestedState }
  | { kind: 'weight'; percent: number | undefined };

export interface ControlStatus {
  ok: true;
  pid: number;
  state: ServingState;
  /** The state before this request changed it. */
  previous?: ServingState;
  weightPercent: number | null;
  terminating: boolean;
  since: string;
  by: string;
  /** Open connections, when the process that answers knows them (not the --workers primary). */
  open: number | null;
  /** Health checks answered since the state last changed: a director has seen the change once this is > 0. */
  observed: number;
}

export type ControlAnswer = ControlStatus | { ok: false; error: string };

/** HAProxy takes weight percentages up to 256 (of the configured weight). */
export const MAX_WEIGHT_PERCENT = 256;

export function parseControlRequest(line: string): ControlRequest {
  const words = line.trim().split(/\s+/);
  const [verb, arg, ...rest] = words;
  const noArg = () => {
    if (arg !== undefined) throw new Error(`"${verb}" takes no argument`);
  };
  switch (verb) {
    case 'status':
    case 'check':
      noArg();
      return { kind: verb };
    case 'drain':
    case 'ready':
    case 'maint':
      noArg();
      return { kind: 'state', state: verb };
    case 'weight': {
      if (arg === undefined || rest.length > 0) throw new Error('weight takes one argument: 0-256 or none');
      if (arg === 'none') return { kind: 'weight', percent: undefined };
      const m = /^(\d{1,3})%?$/.exec(arg);
      const percent = m ? Number(m[1]) : Number.NaN;
      if (!(percent >= 0 && percent <= MAX_WEIGHT_PERCENT)) {
        throw new Error(`weight must be 0-${MAX_WEIGHT_PERCENT} (percent) or none, got "${arg}"`);
      }
      return { kind: 'weight', percent };
    }
    default:
      throw new Error(`unknown request "${verb ?? ''}": expected status, drain, ready, maint or weight`);
  }
}

export function formatControlRequest(r: ControlRequest): string {
  switch (r.kind) {
    case 'status':
    case 'check':
      return `${r.kind}\n`;
    case 'state':
      return `${r.state}\n`;
    case 'weight':
      return `weight ${r.percent ?? 'none'}\n`;
  }
}
