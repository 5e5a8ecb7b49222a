import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { makeColors } from './colors.js';
import { LISTEN_HELP, parseListenInput } from './listen-input.js';
import { type ListenClient, type Listener, type ListenOptions, startListener } from './listener.js';
import { Terminal } from './terminal.js';
import { type Direction, formatEntry, Transcript } from './transcript.js';

export interface ListenSessionOptions extends ListenOptions {
  color: boolean;
  /** Prompt and line editing on a terminal; otherwise stdin lines go to the selected client. */
  interactive: boolean;
}

export interface ListenIO {
  input: Readable;
  /** Transcript lines. */
  output: Writable & { columns?: number };
  /** Messages for people when not interactive. */
  messages: Writable;
  /** Resolves when the caller wants to stop (signals). */
  stopped?: Promise<void>;
}

/**
 * `lvs-client listen`: shows every client's lines tagged with its number and
 * address; typed lines go to the selected client (the newest, or `/to N`).
 * Resolves when the user leaves or `io.stopped` resolves.
 */
export async function runListen(options: ListenSessionOptions, io: ListenIO): Promise<void> {
  const colors = makeColors(options.color);
  const transcript = new Transcript();
  let terminal: Terminal | undefined;
  let selected: number | undefined;
  const show = (lines: string[]) => {
    if (terminal) terminal.print(lines);
    else for (const l of lines) io.output.write(`${l}\n`);
  };
  const message = (lines: string[]) => {
    if (terminal) terminal.print(lines.map((l) => colors.dim(l)));
    else for (const l of lines) io.messages.write(`${l}\n`);
  };
  const tag = (c: ListenClient) => `#${c.id} ${c.address}`;
  const record = (client: ListenClient, direction: Direction, text: string) => {
    const entry = transcript.add(direction, text);
    const line = formatEntry(entry, colors);
    // The client tag goes between the time and the marker: `12:00:01.000 #2 10.0.0.9:40312 R: hello`.
    const space = line.indexOf(' ');
    show([`${line.slice(0, space)} ${colors.magenta(tag(client))}${line.slice(space)}`]);
  };
  const prompt = () => (selected === undefined ? colors.red('(no client) > ') : colors.bold(`#${selected} > `));
  const refreshPrompt = () => terminal?.setPrompt(prompt());

  const listener: Listener = await startListener(options, {
    onClient: (client) => {
      const autoSelect = selected === undefined;
      if (autoSelect) selected = client.id;
      record(client, '*', `connected${autoSelect ? ' (selected)' : `; /to ${client.id} to talk to it`}`);
      refreshPrompt();
    },
    onLine: (client, line) => record(client, 'R', line),
    onGone: (client, drop) => {
      record(client, '*', drop.message);
      if (selected === client.id) {
        selected = listener.clients().find((c) => c.id !== client.id)?.id;
        refreshPrompt();
      }
    },
  });
  message([`listening on ${listener.address} (${options.protocol}); /help lists commands`]);

  await new Promise<void>((resolve) => {
    let leaving = false;
    let stdinLines: ReturnType<typeof createInterface> | undefined;
    const leave = () => {
      if (leaving) return;
      leaving = true;
      terminal?.close();
      stdinLines?.close();
      listener.stop().then(resolve);
    };
    io.stopped?.then(leave);
    const onLine = (input: string) => {
      const parsed = parseListenInput(input);
      if (parsed.kind === 'invalid') return message([parsed.message]);
      if (parsed.kind === 'send') {
        const client = listener.clients().find((c) => c.id === selected);
        if (!client) return message(['no client selected: /clients lists them, /to N selects one']);
        if (listener.send(client.id, parsed.line)) record(client, 'S', parsed.line);
        return;
      }
      const c = parsed.command;
      switch (c.name) {
        case 'help':
          return message(LISTEN_HELP.map(([cmd, what]) => `${cmd.padEnd(12)} ${what}`));
        case 'quit':
          return leave();
        case 'clients': {
          const list = listener.clients();
          return message(
            list.length === 0
              ? ['no clients']
              : list.map(
                  (cl) =>
                    `${cl.id === selected ? '*' : ' '} ${tag(cl)}  since ${new Date(cl.connectedAt).toISOString()}`,
                ),
          );
        }
        case 'to':
          if (!listener.clients().some((cl) => cl.id === c.id))
            return message([`no client #${c.id}; /clients lists them`]);
          selected = c.id;
          return refreshPrompt();
        case 'close': {
          const id = c.id ?? selected;
          if (id === undefined || !listener.disconnect(id)) return message([`no client #${id ?? '?'}`]);
          return;
        }
      }
    };
    if (options.interactive) {
      terminal = new Terminal({
        input: io.input,
        output: io.output,
        prompt: prompt(),
        onLine,
        onClose: () => {
          io.output.write('\n');
          leave();
        },
      });
    } else {
      // Without a terminal, stdin ending does not stop the listener: it serves until a signal.
      stdinLines = createInterface({ input: io.input, crlfDelay: Number.POSITIVE_INFINITY });
      stdinLines.on('line', onLine);
    }
  });
}
