/** Which server answered how many of a check's new connections, and how the report says it. */
export class AnswerTally {
  answered = 0;
  readonly #byServer = new Map<string, number>();

  add(host: string): void {
    this.answered++;
    this.#byServer.set(host, (this.#byServer.get(host) ?? 0) + 1);
  }

  /** `rs1: 3, rs2: 5`, or `none answered`. */
  toString(): string {
    return [...this.#byServer].map(([n, c]) => `${n}: ${c}`).join(', ') || 'none answered';
  }
}
