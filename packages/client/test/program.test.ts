import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
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
import { parseArgs } from '../src/program.js';

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
    expect(parse('probe', 'h:1', '--interval', '200').err).toContain(
      'duration "200" has no unit: did you mean 200ms or 200s?',
    );
    expect(parse('frobnicate').err).toContain("unknown command 'frobnicate'");
    // No command: the help goes to stderr, and the exit is not a success.
    const none = parse();
    expect(none.error).toBeInstanceOf(CommanderError);
    expect((none.error as CommanderError).exitCode).not.toBe(0);
    expect(none.err).toContain('Usage: lvs-client');
  });
});

function help(...argv: string[]): { out: string; code: number | undefined } {
  let out = '';
  try {
    parseArgs(argv, { out: (s) => (out += s), err: () => undefined });
  } catch (e) {
    return { out, code: (e as CommanderError).exitCode };
  }
  return { out, code: undefined };
}

describe('--help and --version', () => {
  it('lists the commands, examples, the duration format and the exit codes, and exits with 0', () => {
    const { out, code } = help('--help');
    expect(code).toBe(0);
    expect(out).toContain('Exit codes:\n  0  success');
    expect(out).toContain('  7  probe: some probes got no reply');
    expect(out).toMatch(/^ {2}connect \[options\] <host:port>/m);
    expect(out).toMatch(/^ {2}lvs-client probe \S+ --count 20$/m);
    expect(out).toContain('DURATION: a number and a unit: 250ms, 5s, 2m, 1h (a bare number is refused; 0 needs none).');
  });

  it.each([
    ['connect', [0, 1, 2, 3, 4, 5], true],
    ['probe', [0, 1, 2, 3, 4, 7], true],
    ['listen', [0, 1, 2, 6], false],
  ] as const)(
    '%s --help: examples of the command, its exit codes, the unit of every duration',
    (name, codes, durations) => {
      const { out, code } = help(name, '--help');
      expect(code).toBe(0);
      const examples = out.slice(out.indexOf('Examples:'), out.indexOf('Exit codes:'));
      expect(examples.match(new RegExp(`^ {2}(.* \\| )?lvs-client ${name} `, 'gm'))?.length).toBeGreaterThanOrEqual(2);
      expect(examples.match(/^ {2}# \S/gm)?.length).toBeGreaterThanOrEqual(2);
      const listed = [...out.slice(out.indexOf('Exit codes:')).matchAll(/^ {2}(\d) {2}\S/gm)].map((m) => Number(m[1]));
      expect(listed).toEqual(codes);
      expect(out.includes('DURATION: a number and a unit')).toBe(durations);
      // Every duration flag has its default written with a unit.
      for (const m of out.matchAll(/<duration>[^(]*\(default: ([^)]*)\)/g)) expect(m[1]).toMatch(/^\d+(ms|s|m|h)$/);
    },
  );

  it('--version is the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(help('--version')).toEqual({ out: `${pkg.version}\n`, code: 0 });
  });

  it('words a bad port the same way for text and for numbers out of range', () => {
    expect(parse('listen', 'abc').err).toContain('invalid port "abc": expected a number 0-65535');
    expect(parse('listen', '99999').err).toContain('invalid port "99999": expected a number 0-65535');
    expect(parse('connect', 'h:abc').err).toContain('invalid port "abc": expected a number 1-65535');
    expect(parse('connect', 'h:99999').err).toContain('invalid port "99999": expected a number 1-65535');
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
