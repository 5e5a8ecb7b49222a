/**
 * The rule both interactive prompts (`connect`, `listen`) follow for a typed line: text is sent as it is;
 * `/name args` is a command; `//text` sends `/text`, so any line can still be sent. `/?` and `/exit` mean
 * `/help` and `/quit` at both. Each prompt's parser reads its own commands' arguments.
 */

/** What a typed line means, with `C` the prompt's commands. */
export type PromptInput<C> =
  | { kind: 'send'; line: string }
  | { kind: 'command'; command: C }
  | { kind: 'invalid'; message: string };

/** A line to send as it is, or the text of a command after its `/`. */
export function splitPromptLine(input: string): { kind: 'send'; line: string } | { kind: 'slash'; text: string } {
  if (!input.startsWith('/')) return { kind: 'send', line: input };
  if (input.startsWith('//')) return { kind: 'send', line: input.slice(1) };
  return { kind: 'slash', text: input.slice(1) };
}

const ALIASES: Readonly<Record<string, string>> = { '?': 'help', exit: 'quit' };

/** A command's name as its parser's switch knows it: lower case, aliases folded. */
export function commandName(typed: string): string {
  const name = typed.toLowerCase();
  return ALIASES[name] ?? name;
}

export const command = <C>(c: C): PromptInput<C> => ({ kind: 'command', command: c });
export const invalid = <C>(message: string): PromptInput<C> => ({ kind: 'invalid', message });
