import { describe, expect, it } from 'vitest';
import { parseInput } from '../src/connect-input.js';
import { parseListenInput } from '../src/listen-input.js';

describe('parseInput', () => {
  it('sends plain lines as typed, spaces and all', () => {
    expect(parseInput('hello')).toEqual({ kind: 'send', line: 'hello' });
    expect(parseInput('  a  b ')).toEqual({ kind: 'send', line: '  a  b ' });
    expect(parseInput('')).toEqual({ kind: 'send', line: '' });
  });

  it('sends //text as /text', () => {
    expect(parseInput('//help')).toEqual({ kind: 'send', line: '/help' });
    expect(parseInput('//')).toEqual({ kind: 'send', line: '/' });
  });

  it('parses commands without arguments, case-insensitively', () => {
    for (const name of ['help', 'quit', 'close', 'reconnect', 'hex', 'info', 'stats'] as const) {
      expect(parseInput(`/${name}`)).toEqual({ kind: 'command', command: { name } });
    }
    expect(parseInput('/QUIT')).toEqual({ kind: 'command', command: { name: 'quit' } });
    expect(parseInput('/exit')).toEqual({ kind: 'command', command: { name: 'quit' } });
    expect(parseInput('/quit now')).toEqual({ kind: 'invalid', message: '/quit takes no arguments' });
  });

  it('parses /save FILE', () => {
    expect(parseInput('/save /tmp/my transcript.txt')).toEqual({
      kind: 'command',
      command: { name: 'save', file: '/tmp/my transcript.txt' },
    });
    expect(parseInput('/save')).toEqual({ kind: 'invalid', message: 'usage: /save FILE' });
  });

  it('parses /repeat N INTERVAL_MS LINE keeping the spaces of LINE', () => {
    expect(parseInput('/repeat 5 200 hello  world')).toEqual({
      kind: 'command',
      command: { name: 'repeat', count: 5, intervalMs: 200, line: 'hello  world' },
    });
    expect(parseInput('/repeat off')).toEqual({ kind: 'command', command: { name: 'repeat-off' } });
  });

  it('rejects a /repeat without a count, interval or line, or out of bounds', () => {
    expect(parseInput('/repeat')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('usage') });
    expect(parseInput('/repeat x 10 a')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('N:') });
    expect(parseInput('/repeat 0 10 a')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('1-') });
    expect(parseInput('/repeat 5 -1 a')).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('INTERVAL_MS'),
    });
    expect(parseInput('/repeat 5 10')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('LINE') });
    expect(parseInput('/repeat 100001 10 a')).toMatchObject({ kind: 'invalid' });
  });

  it('parses /keepalive SECONDS [LINE] and /keepalive off', () => {
    expect(parseInput('/keepalive 30')).toEqual({
      kind: 'command',
      command: { name: 'keepalive', seconds: 30, line: undefined },
    });
    expect(parseInput('/keepalive 5 ping me')).toEqual({
      kind: 'command',
      command: { name: 'keepalive', seconds: 5, line: 'ping me' },
    });
    expect(parseInput('/keepalive off')).toEqual({ kind: 'command', command: { name: 'keepalive-off' } });
    expect(parseInput('/keepalive 0')).toMatchObject({ kind: 'invalid' });
    expect(parseInput('/keepalive soon')).toMatchObject({ kind: 'invalid' });
  });

  it('names close matches of an unknown command', () => {
    const r = parseInput('/re');
    expect(r.kind).toBe('invalid');
    expect(r.kind === 'invalid' && r.message).toContain('/reconnect, /repeat');
    expect(parseInput('/zzz')).toMatchObject({ message: expect.stringContaining('unknown command /zzz') });
  });
});

describe('parseListenInput', () => {
  it('parses /to N, /clients, /close [N] and sends the rest', () => {
    expect(parseListenInput('/to 2')).toEqual({ kind: 'command', command: { name: 'to', id: 2 } });
    expect(parseListenInput('/to #3')).toEqual({ kind: 'command', command: { name: 'to', id: 3 } });
    expect(parseListenInput('/clients')).toEqual({ kind: 'command', command: { name: 'clients' } });
    expect(parseListenInput('/close')).toEqual({ kind: 'command', command: { name: 'close', id: undefined } });
    expect(parseListenInput('/close 4')).toEqual({ kind: 'command', command: { name: 'close', id: 4 } });
    expect(parseListenInput('reply text')).toEqual({ kind: 'send', line: 'reply text' });
    expect(parseListenInput('//to 2')).toEqual({ kind: 'send', line: '/to 2' });
    expect(parseListenInput('/to')).toMatchObject({ kind: 'invalid' });
    expect(parseListenInput('/to x')).toMatchObject({ kind: 'invalid' });
    expect(parseListenInput('/nope')).toMatchObject({ kind: 'invalid' });
  });
});
