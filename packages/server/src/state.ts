/**
 * The server's own drain state, which health checkers see (HAProxy's agent-check, keepalived's MISC_CHECK
 * through `rs-server check`, /healthz). It changes what they are told, never the open connections.
 */
import { EventEmitter } from 'node:events';

/**
 * ready: take new connections. drain: ask for weight 0, keep serving. maint: ask to be taken out.
 * stopping: the listener closes (SIGTERM); only open connections are served.
 */
export type ServingState = 'ready' | 'drain' | 'maint' | 'stopping';
export const SERVING_STATES: readonly ServingState[] = ['ready', 'drain', 'maint', 'stopping'];

/** What an operator may ask for; `stopping` comes from SIGTERM only. */
export type RequestedState = Exclude<ServingState, 'stopping'>;

/** Who looks at the state: counted, so a drain before a stop knows a health checker has seen it. */
export type Observer = 'agent' | 'healthz' | 'check';

export interface StateSnapshot {
  state: ServingState;
  /** The weight percentage the agent advertises while ready; undefined: none (HAProxy keeps its own). */
  weightPercent: number | undefined;
  /** SIGTERM arrived: operators can no longer change the state. */
  terminating: boolean;
  /** When the state last changed (epoch ms), and what changed it. */
  since: number;
  by: string;
  /** Health checks answered since the last change: an agent answer HAProxy read to the end, a /healthz
   * response sent, a `check` asked. Once it is above 0, a director has seen the current state. */
  observedSinceChange: number;
}

export interface StateChange {
  previous: ServingState;
  current: StateSnapshot;
}

/** Thrown by a change asked for while the server stops. */
export class StateLockedError extends Error {
  override name = 'StateLockedError';
}

export class DrainState extends EventEmitter<{ change: [StateChange] }> {
  #state: ServingState = 'ready';
  #weight: number | undefined;
  #terminating = false;
  #since = Date.now();
  #by = 'start';
  #observed = 0;

  constructor(initial: RequestedState = 'ready') {
    super();
    this.#state = initial;
  }

  get state(): ServingState {
    return this.#state;
  }

  snapshot(): StateSnapshot {
    return {
      state: this.#state,
      weightPercent: this.#weight,
      terminating: this.#terminating,
      since: this.#since,
      by: this.#by,
      observedSinceChange: this.#observed,
    };
  }

  /** An operator's request (ctl, SIGUSR2). Refused once SIGTERM arrived. */
  request(state: RequestedState, by: string): StateChange {
    if (this.#terminating) throw new StateLockedError(`the server is stopping (${this.#state}); the state stays`);
    if (state === this.#state) return { previous: state, current: this.snapshot() };
    return this.#set(state, by);
  }

  /** SIGUSR2: drain when ready or in maintenance, ready when draining. */
  toggleDrain(by: string): StateChange {
    return this.request(this.#state === 'drain' ? 'ready' : 'drain', by);
  }

  /** The advertised weight percentage (0-256), or undefined to advertise none. */
  setWeight(percent: number | undefined, by: string): StateChange {
    if (this.#terminating) throw new StateLockedError(`the server is stopping (${this.#state}); the weight stays`);
    this.#weight = percent;
    return this.#set(this.#state, by);
  }

  /** The stop path: drain first (optional), then stopping. Locks out operators' changes. */
  terminate(state: 'drain' | 'stopping', by: string): StateChange {
    this.#terminating = true;
    return this.#set(state, by);
  }

  observed(_by: Observer): void {
    this.#observed++;
  }

  #set(state: ServingState, by: string): StateChange {
    const previous = this.#state;
    this.#state = state;
    this.#since = Date.now();
    this.#by = by;
    this.#observed = 0;
    const change = { previous, current: this.snapshot() };
    this.emit('change', change);
    return change;
  }
}
