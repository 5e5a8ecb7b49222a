/**
 * Who answered a phase's new connections, as the two checks made of them count it
 * (new-connections-avoid-drained, new-connections-return): each answer on its server's row of the report,
 * and the tally that the check's message names.
 */
import type { PhaseId } from '../report/types.js';
import type { RunContext } from './context.js';

export class AnswerTally {
  /** New connections that were answered, by any server. */
  answered = 0;
  private readonly byServer = new Map<string, number>();

  constructor(
    private readonly ctx: RunContext,
    /** The report's counter of each server that this phase adds to. */
    private readonly counter: 'newConnections' | 'returnedConnections',
  ) {}

  /** A new connection answered by `server`. */
  add(server: string): void {
    this.answered++;
    this.byServer.set(server, (this.byServer.get(server) ?? 0) + 1);
    const s = this.ctx.server(server);
    if (s) s[this.counter]++;
  }

  /** `rs1: 30, rs2: 29`, or `none answered`. */
  toString(): string {
    return [...this.byServer].map(([n, c]) => `${n}: ${c}`).join(', ') || 'none answered';
  }
}

/** The connections of `phase` set aside because their source port was used before, for a check's message ('' for none). */
export function setAsideNote(ctx: RunContext, phase: PhaseId, more = ''): string {
  const aside = ctx.setAside.get(phase) ?? 0;
  return aside > 0 ? `; ${aside} more came from source ports used earlier in the run and were not counted${more}` : '';
}
