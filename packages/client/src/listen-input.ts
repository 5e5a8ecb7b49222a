/** What a line typed at the `listen` prompt means. Pure, like `parseInput` for `connect`; the line rule is prompt-line.ts's. */
import { command, commandName, invalid, type PromptInput, splitPromptLine } from './prompt-line.js';

export type ListenCommand =
  | { name: 'help' }
  | { name: 'quit' }
  | { name: 'clients' }
  | { name: 'to'; id: number }
  | { name: 'close'; id: number | undefined };

export type ListenInput = PromptInput<ListenCommand>;

export const LISTEN_HELP: ReadonlyArray<readonly [string, string]> = [
  ['/help', 'this list'],
  ['/quit', 'stop listening and leave (also Ctrl-D)'],
  ['/clients', 'list connected clients; * marks the selected one'],
  ['/to N', 'send typed lines to client #N'],
  ['/close [N]', 'close the connection of client #N (default: the selected one)'],
  ['//text', 'send "/text"'],
];

export function parseListenInput(input: string): ListenInput {
  const typed = splitPromptLine(input);
  if (typed.kind === 'send') return typed;
  const [name = '', ...args] = typed.text.trim().split(/\s+/);
  const id = (text: string | undefined) =>
    text !== undefined && /^#?\d+$/.test(text) ? Number(text.replace('#', '')) : undefined;
  // One argument, a client number: `/to N`, `/close N`.
  const withId = (usage: string, c: (id: number) => ListenCommand): ListenInput => {
    const n = id(args[0]);
    return n === undefined || args.length !== 1 ? invalid(usage) : command(c(n));
  };
  switch (commandName(name)) {
    case 'help':
      return command({ name: 'help' });
    case 'quit':
      return command({ name: 'quit' });
    case 'clients':
      return command({ name: 'clients' });
    case 'to':
      return withId('usage: /to N (a client number from /clients)', (n) => ({ name: 'to', id: n }));
    case 'close':
      if (args.length === 0) return command({ name: 'close', id: undefined });
      return withId('usage: /close [N]', (n) => ({ name: 'close', id: n }));
    default:
      return invalid(`unknown command /${name}; /help lists commands, //text sends "/text"`);
  }
}
