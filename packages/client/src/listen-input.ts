/** What a line typed at the `listen` prompt means. Pure, like `parseInput` for `connect`. */

export type ListenCommand =
  | { name: 'help' }
  | { name: 'quit' }
  | { name: 'clients' }
  | { name: 'to'; id: number }
  | { name: 'close'; id: number | undefined };

export type ListenInput =
  | { kind: 'send'; line: string }
  | { kind: 'command'; command: ListenCommand }
  | { kind: 'invalid'; message: string };

export const LISTEN_HELP: ReadonlyArray<readonly [string, string]> = [
  ['/help', 'this list'],
  ['/quit', 'stop listening and leave (also Ctrl-D)'],
  ['/clients', 'list connected clients; * marks the selected one'],
  ['/to N', 'send typed lines to client #N'],
  ['/close [N]', 'close the connection of client #N (default: the selected one)'],
  ['//text', 'send "/text"'],
];

export function parseListenInput(input: string): ListenInput {
  if (!input.startsWith('/')) return { kind: 'send', line: input };
  if (input.startsWith('//')) return { kind: 'send', line: input.slice(1) };
  const [name = '', ...args] = input.slice(1).trim().split(/\s+/);
  const command = (c: ListenCommand): ListenInput => ({ kind: 'command', command: c });
  const id = (text: string | undefined) =>
    text !== undefined && /^#?\d+$/.test(text) ? Number(text.replace('#', '')) : undefined;
  switch (name.toLowerCase()) {
    case 'help':
    case '?':
      return command({ name: 'help' });
    case 'quit':
    case 'exit':
      return command({ name: 'quit' });
    case 'clients':
      return command({ name: 'clients' });
    case 'to': {
      const n = id(args[0]);
      return n === undefined || args.length !== 1
        ? { kind: 'invalid', message: 'usage: /to N (a client number from /clients)' }
        : command({ name: 'to', id: n });
    }
    case 'close': {
      if (args.length === 0) return command({ name: 'close', id: undefined });
      const n = id(args[0]);
      return n === undefined || args.length !== 1
        ? { kind: 'invalid', message: 'usage: /close [N]' }
        : command({ name: 'close', id: n });
    }
    default:
      return { kind: 'invalid', message: `unknown command /${name}; /help lists commands, //text sends "/text"` };
  }
}
