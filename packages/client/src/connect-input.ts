/**
 * What a line typed at the `connect` prompt means. Pure: the session decides
 * what to do with it. A line starting with `/` is a command; `//text` sends
 * `/text`, so any line can still be sent.
 */

export type SessionCommand =
  | { name: 'help' }
  | { name: 'quit' }
  | { name: 'close' }
  | { name: 'reconnect' }
  | { name: 'save'; file: string }
  | { name: 'hex' }
  | { name: 'repeat'; count: number; intervalMs: number; line: string }
  | { name: 'repeat-off' }
  | { name: 'keepalive'; seconds: number; line: string | undefined }
  | { name: 'keepalive-off' }
  | { name: 'info' }
  | { name: 'stats' };

export type ParsedInput =
  | { kind: 'send'; line: string }
  | { kind: 'command'; command: SessionCommand }
  | { kind: 'invalid'; message: string };

/** Upper bounds keep a typo from starting an endless load loop. */
export const MAX_REPEAT_COUNT = 100_000;
export const MAX_REPEAT_INTERVAL_MS = 3_600_000;
export const MAX_KEEPALIVE_SECONDS = 86_400;

export const COMMAND_HELP: ReadonlyArray<readonly [string, string]> = [
  ['/help', 'this list'],
  ['/quit', 'leave (also Ctrl-D)'],
  ['/close', 'send "shutdown" and wait for the server to close the connection'],
  ['/reconnect', 'connect again to the same address (with back-off, see --retry)'],
  ['/save FILE', 'write the transcript to FILE'],
  ['/hex', 'toggle a hex + ASCII view of received data'],
  ['/repeat N INTERVAL_MS LINE', 'send LINE N times, INTERVAL_MS apart (/repeat off stops)'],
  ['/keepalive SECONDS [LINE]', 'send LINE (default "keepalive") after SECONDS idle; /keepalive off stops'],
  ['/info', 'addresses, bytes, lines, connected time, last round-trip time'],
  ['/stats', 'replies per server in this session'],
  ['//text', 'send "/text"'],
];

const NAMES = ['help', 'quit', 'exit', 'close', 'reconnect', 'save', 'hex', 'repeat', 'keepalive', 'info', 'stats'];

function wholeNumber(text: string | undefined, what: string, min: number, max: number): number | string {
  if (text === undefined || !/^\d+$/.test(text)) return `${what}: expected a whole number, got "${text ?? ''}"`;
  const n = Number(text);
  if (n < min || n > max) return `${what}: expected ${min}-${max}, got ${n}`;
  return n;
}

/** Splits off the first `count` space-separated words; the rest stays verbatim (a LINE may hold spaces). */
function words(text: string, count: number): { head: string[]; rest: string } {
  const head: string[] = [];
  let rest = text.trimStart();
  while (head.length < count && rest.length > 0) {
    const m = /^(\S+)\s?/.exec(rest)!;
    head.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return { head, rest };
}

export function parseInput(input: string): ParsedInput {
  if (!input.startsWith('/')) return { kind: 'send', line: input };
  if (input.startsWith('//')) return { kind: 'send', line: input.slice(1) };
  const m = /^\/(\S*)\s*(.*)$/s.exec(input)!;
  const name = m[1]!.toLowerCase();
  const args = m[2]!;
  const invalid = (message: string): ParsedInput => ({ kind: 'invalid', message });
  const command = (c: SessionCommand): ParsedInput => ({ kind: 'command', command: c });
  const noArgs = (c: SessionCommand): ParsedInput =>
    args.trim().length > 0 ? invalid(`/${name} takes no arguments`) : command(c);

  switch (name) {
    case 'help':
    case '?':
      return command({ name: 'help' });
    case 'quit':
    case 'exit':
      return noArgs({ name: 'quit' });
    case 'close':
      return noArgs({ name: 'close' });
    case 'reconnect':
      return noArgs({ name: 'reconnect' });
    case 'hex':
      return noArgs({ name: 'hex' });
    case 'info':
      return noArgs({ name: 'info' });
    case 'stats':
      return noArgs({ name: 'stats' });
    case 'save': {
      const file = args.trim();
      return file.length === 0 ? invalid('usage: /save FILE') : command({ name: 'save', file });
    }
    case 'repeat': {
      const { head, rest } = words(args, 2);
      if (head[0]?.toLowerCase() === 'off' && head.length === 1 && rest.length === 0) {
        return command({ name: 'repeat-off' });
      }
      if (head.length === 0) return invalid('usage: /repeat N INTERVAL_MS LINE');
      const count = wholeNumber(head[0], 'N', 1, MAX_REPEAT_COUNT);
      if (typeof count === 'string') return invalid(`/repeat ${count}`);
      const interval = wholeNumber(head[1], 'INTERVAL_MS', 0, MAX_REPEAT_INTERVAL_MS);
      if (typeof interval === 'string') return invalid(`/repeat ${interval}`);
      if (rest.length === 0) return invalid('usage: /repeat N INTERVAL_MS LINE (LINE is missing)');
      return command({ name: 'repeat', count, intervalMs: interval, line: rest });
    }
    case 'keepalive': {
      const { head, rest } = words(args, 1);
      if (head[0]?.toLowerCase() === 'off' && rest.length === 0) return command({ name: 'keepalive-off' });
      const seconds = wholeNumber(head[0], 'SECONDS', 1, MAX_KEEPALIVE_SECONDS);
      if (typeof seconds === 'string') return invalid(`/keepalive ${seconds} (or "off")`);
      return command({ name: 'keepalive', seconds, line: rest.length > 0 ? rest : undefined });
    }
    default: {
      const close = NAMES.filter((n) => n.startsWith(name) && name.length > 0);
      const hint = close.length > 0 ? ` (did you mean ${close.map((n) => `/${n}`).join(', ')}?)` : '';
      return invalid(`unknown command /${name}${hint}; /help lists commands, //text sends "/text"`);
    }
  }
}
