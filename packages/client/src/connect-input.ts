/**
 * What a line typed at the `connect` prompt means. Pure: the session decides
 * what to do with it. The line rule (`/` commands, `//text`) is prompt-line.ts's.
 */
import { command, commandName, invalid, type PromptInput, splitPromptLine } from './prompt-line.js';

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

export type ParsedInput = PromptInput<SessionCommand>;

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

/** The commands that take no arguments: their name is the whole command. */
const BARE = ['quit', 'close', 'reconnect', 'hex', 'info', 'stats'] as const;

export function parseInput(input: string): ParsedInput {
  const typed = splitPromptLine(input);
  if (typed.kind === 'send') return typed;
  const m = /^(\S*)\s*(.*)$/s.exec(typed.text)!;
  // Messages quote the name as typed (`/exit takes no arguments`).
  const name = m[1]!.toLowerCase();
  const args = m[2]!;
  const bare = BARE.find((b) => b === commandName(name));
  if (bare) return args.trim().length > 0 ? invalid(`/${name} takes no arguments`) : command({ name: bare });

  switch (commandName(name)) {
    case 'help':
      return command({ name: 'help' });
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
