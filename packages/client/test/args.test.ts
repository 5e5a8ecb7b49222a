import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/args.js';
import {
  ConnectError,
  EXIT,
  exitCodeFor,
  ListenError,
  ProbeFailuresError,
  ReplyTimeoutError,
  UsageError,
} from '../src/errors.js';
import { loadHistory, saveHistory } from '../src/history.js';

function parse(...argv: string[]) {
  let err = '';
  try {
    return { inv: parseArgs(argv, { out: () => undefined, err: (s) => (err += s) }), err };
  } catch (e) {
    return { error: e as Error, err };
  }
}

describe('parseArgs', () => {
  it('connect: address, defaults and flags', () => {
    const { inv } = parse('connect', '[::1]:2100');
    expect(inv).toMatchObject({
      command: 'connect',
      target: { host: '::1', port: 2100, family: 6 },
      protocol: 'tcp',
      crlf: false,
      connectTimeoutMs: 5000,
      timeoutMs: 10000,
      retries: 0,
      colorFlag: true,
    });
    expect(inv && 'historyFile' in inv && inv.historyFile).toMatch(/\.lvs_client_history$/);
    const all = parse(
      'connect',
      'lb.example:80',
      '--udp',
      '--crlf',
      '--connect-timeout',
      '300ms',
      '--timeout',
      '2s',
      '--retry',
      '3',
      '--no-history',
      '--no-color',
    ).inv;
    expect(all).toMatchObject({
      protocol: 'udp',
      crlf: true,
      connectTimeoutMs: 300,
      timeoutMs: 2000,
      retries: 3,
      historyFile: undefined,
      colorFlag: false,
    });
    expect(parse('connect', '127.0.0.1:1', '--history-file', '/tmp/h').inv).toMatchObject({ historyFile: '/tmp/h' });
  });

  it('probe: several targets, modes and bounds', () => {
    expect(
      parse('probe', '127.0.0.1:1', '127.0.0.2:2', '--count', '4', '--same-connection', '--json').inv,
    ).toMatchObject({
      command: 'probe',
      targets: [
        { host: '127.0.0.1', port: 1 },
        { host: '127.0.0.2', port: 2 },
      ],
      count: 4,
      mode: 'same-connection',
      json: true,
      intervalMs: 200,
      line: 'hello',
    });
    expect(parse('probe', 'h:1').inv).toMatchObject({ mode: 'new-connection-each', count: 10 });
    const both = parse('probe', 'h:1', '--same-connection', '--new-connection-each');
    expect(both.error).toBeInstanceOf(CommanderError);
    expect(both.err).toContain('cannot be used with');
    expect(parse('probe', 'h:1', '--count', '0').err).toContain('expected a whole number 1-1000000');
  });

  it('listen: port 0 allowed, host and udp', () => {
    expect(parse('listen', '0', '--host', '127.0.0.1', '--udp').inv).toMatchObject({
      command: 'listen',
      port: 0,
      host: '127.0.0.1',
      protocol: 'udp',
    });
  });

  it('bad input gives one clear line from commander', () => {
    const r = parse('connect', '127.0.0.1');
    expect(r.error).toBeInstanceOf(CommanderError);
    expect(r.err.trim()).toBe(
      `lvs-client: command-argument value '127.0.0.1' is invalid for argument 'host:port'. invalid address "127.0.0.1": missing ":PORT"`,
    );
    expect(parse('connect', 'h:1', '--timeout', 'soon').err).toContain('invalid duration "soon"');
    expect(parse('frobnicate').err).toContain("unknown command 'frobnicate'");
    // No command: the help goes to stderr, and the exit is not a success.
    const none = parse();
    expect(none.error).toBeInstanceOf(CommanderError);
    expect((none.error as CommanderError).exitCode).not.toBe(0);
    expect(none.err).toContain('Usage: lvs-client');
  });
});

describe('--help', () => {
  it('lists the exit codes and exits with 0', () => {
    let out = '';
    let error: unknown;
    try {
      parseArgs(['--help'], { out: (s) => (out += s), err: () => undefined });
    } catch (e) {
      error = e;
    }
    expect((error as CommanderError).exitCode).toBe(0);
    expect(out).toContain('Exit codes:\n  0  success');
    expect(out).toContain('  7  probe: some probes got no reply');
  });
});

describe('exitCodeFor', () => {
  it('maps each error class to its documented code', () => {
    expect(exitCodeFor(new UsageError('x'))).toBe(EXIT.usage);
    expect(exitCodeFor(new ConnectError('x', 'refused'))).toBe(EXIT.connect);
    expect(exitCodeFor(new ConnectError('x', 'dns'))).toBe(EXIT.connect);
    expect(exitCodeFor(new ConnectError('x', 'timeout'))).toBe(EXIT.timeout);
    expect(exitCodeFor(new ReplyTimeoutError('x'))).toBe(EXIT.timeout);
    expect(exitCodeFor(new ListenError('x'))).toBe(EXIT.listen);
    expect(exitCodeFor(new ProbeFailuresError('x'))).toBe(EXIT.probeFailures);
    expect(exitCodeFor(new Error('bug'))).toBe(EXIT.internal);
  });
});

describe('history file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips oldest first on disk, newest first in memory, private to the user', () => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-client-history-'));
    const file = join(dir, 'sub', 'history');
    expect(loadHistory(file)).toEqual([]);
    expect(saveHistory(file, ['third', 'second', 'first'])).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe('first\nsecond\nthird\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadHistory(file)).toEqual(['third', 'second', 'first']);
  });

  it('reports a file it cannot write instead of throwing', () => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-client-history-'));
    expect(saveHistory(dir, ['x'])).toBeInstanceOf(Error);
  });
});
