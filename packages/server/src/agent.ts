/**
 * HAProxy's agent-check: HAProxy connects to --agent-port, reads one line and closes. The line's words
 * (HAProxy configuration manual, "agent-check") set the server's administrative state (ready, drain,
 * maint), its operational state (up, down/fail/stopped with a description after '#') and a weight
 * percentage. Only the agent can undo what it set, so every answer says "up" unless the server stops.
 */
import { connect, createServer, type Server } from 'node:net';
import { formatHostPort, type HostPort } from '@lvs-drain-kit/common';
import type { Logger } from 'pino';
import { ListenError } from './errors.js';
import type { DrainState, StateSnapshot } from './state.js';

/** The agent's answer for a state (pure). */
export function agentReply(s: StateSnapshot): string {
  switch (s.state) {
    case 'ready':
      return s.weightPercent === undefined ? 'up ready\n' : `up ready ${s.weightPercent}%\n`;
    case 'drain':
      return 'up drain\n';
    case 'maint':
      return 'maint\n';
    case 'stopping':
      // Still draining: a server that comes back says "up ready" again.
      return 'drain stopped#rs-server is stopping\n';
  }
}

/** What an agent's answer means for a load balancer (any agent's, not only rs-server's). Pure. */
export function stateFromAgentReply(line: string): 'ready' | 'drain' | 'down' {
  const words = (line.split('#')[0] ?? '')
    .trim()
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (words.length === 0 || words.some((w) => ['down', 'fail', 'stopped', 'maint'].includes(w))) return 'down';
  if (words.includes('drain') || words.includes('0%')) return 'drain';
  return 'ready';
}

/** Reads one agent answer from HOST:PORT, as HAProxy does (`rs-server check --agent`). */
export function askAgent(target: HostPort, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: target.host, port: target.port });
    let got = '';
    const where = formatHostPort(target);
    s.setTimeout(timeoutMs, () => {
      s.destroy();
      reject(new Error(`agent ${where}: no answer within ${timeoutMs} ms`));
    });
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      got += d;
      const eol = got.search(/[\r\n]/);
      if (eol >= 0) {
        s.destroy();
        resolve(got.slice(0, eol));
      }
    });
    s.on('end', () => resolve(got));
    s.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`agent ${where}: ${err.code ?? err.message}`)));
  });
}

export interface AgentServer {
  readonly address: { address: string; port: number };
  close(): Promise<void>;
}

export async function startAgent(o: {
  host?: string | undefined;
  port: number;
  state: DrainState;
  log: Logger;
}): Promise<AgentServer> {
  const server: Server = createServer((socket) => {
    let answered = false;
    socket.on('error', () => {}); // HAProxy closes as soon as it has the line
    // HAProxy acts on the answer before it closes: from then on the director has it (see DrainState.observed).
    socket.on('close', () => {
      if (answered) o.state.observed('agent');
    });
    // HAProxy may send its agent-send string first; the answer does not depend on it.
    socket.end(agentReply(o.state.snapshot()), () => {
      answered = true;
    });
  });
  const address = await listenOn(server, o.host, o.port, 'agent port');
  server.on('error', (err) => o.log.error({ err }, 'agent listener error'));
  return {
    address,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Binds a side listener (agent, status); its failure is a ListenError naming which one. */
export function listenOn(
  server: Server,
  host: string | undefined,
  port: number,
  what: string,
): Promise<{ address: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new ListenError(`cannot listen on ${host ?? '*'}:${port} (${what}): ${err.code ?? err.message}`, err.code),
      );
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new ListenError(`${what} has no TCP address`, undefined));
      else resolve({ address: a.address, port: a.port });
    });
  });
}
