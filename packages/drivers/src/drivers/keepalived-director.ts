/**
 * What the keepalived driver (and the ipvsadm driver's check for a keepalived that owns the service) asks
 * a director, through any transport: files read and written as bytes (base64 both ways, so a comment in
 * Latin-1 survives), the running keepalived (pid file, command line, the file it reads), its included
 * files, and `keepalived --config-test`. Files are held as latin1 strings: one character per byte, so
 * offsets are byte offsets and an edit keeps every other byte.
 */
import { createHash } from 'node:crypto';
import type { CommandTransport } from '@lvs-drain-kit/common';
import { DriverError } from '../errors.js';
import { parseKeepalivedConf, type Statement, topLevelIncludes } from './keepalived-conf.js';

export const DEFAULT_CONF = '/etc/keepalived/keepalived.conf';
export const DEFAULT_PID_FILE = '/run/keepalived.pid';

const TIMEOUT_MS = 15_000;

/** `sh -c SCRIPT sh ARGS…`: the script refers to its arguments as "$1" …, never pasted into it. */
export async function sh(transport: CommandTransport, script: string, args: readonly string[] = [], input?: string) {
  return transport.run(['sh', '-c', script, 'sh', ...args], {
    timeoutMs: TIMEOUT_MS,
    ...(input !== undefined ? { input } : {}),
  });
}

/** The bytes of `path` on the director, as a latin1 string; undefined when it does not exist. */
export async function readBytes(transport: CommandTransport, path: string): Promise<string | undefined> {
  const r = await sh(transport, '[ -e "$1" ] || exit 66; base64 < "$1"', [path]);
  if (r.exitCode === 66) return undefined;
  if (r.exitCode !== 0) {
    throw new DriverError(
      `cannot read ${path} on the director (${transport.description}): ${r.stderr.trim()}`,
      r.stderr,
    );
  }
  return Buffer.from(r.stdout.replace(/\s+/g, ''), 'base64').toString('latin1');
}

/** base64 of a latin1 string's bytes (what `base64 -d` on the director turns back into the file). */
export const toBase64 = (bytes: string) => Buffer.from(bytes, 'latin1').toString('base64');

export const sha256 = (bytes: string) => createHash('sha256').update(Buffer.from(bytes, 'latin1')).digest('hex');

export interface KeepalivedProcess {
  pid: number;
  argv: string[];
  /** The configuration file it was started with (`-f`, `--use-file`), or keepalived's default. */
  conf: string;
}

/** The configuration file in a keepalived command line. */
export function confOf(argv: readonly string[]): string {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '-f' || a === '--use-file') && argv[i + 1]) return argv[i + 1]!;
    if (a.startsWith('--use-file=')) return a.slice('--use-file='.length);
    if (/^-f./.test(a)) return a.slice(2);
  }
  return DEFAULT_CONF;
}

/** Parses `@@name` sections (what the scripts below print) into name → text. */
function sections(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let name: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^@@(\S+)(?: (.*))?$/.exec(line);
    if (m) {
      name = m[1]!;
      out[name] = m[2] ?? '';
    } else if (name !== undefined) out[name] += `${out[name] ? '\n' : ''}${line}`;
  }
  return out;
}

function processFrom(text: string | undefined): KeepalivedProcess | undefined {
  const [pidLine, ...argv] = (text ?? '').split('\n').filter((l) => l.length > 0);
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || !/(^|\/)keepalived$/.test(argv[0] ?? '')) return undefined;
  return { pid, argv, conf: confOf(argv) };
}

export interface KeepalivedSnapshot {
  /** The keepalived whose PID the pid file holds, if that process runs and is keepalived. */
  process: KeepalivedProcess | undefined;
  /** The configuration file's bytes (latin1), undefined when it does not exist. */
  bytes: string | undefined;
  /** With `test`: undefined when `keepalived --config-test` accepts the file as it is, else what it said. */
  rejected?: string | undefined;
  /** With `test`: the first line of `keepalived --version`. */
  version?: string;
}

/**
 * One round trip: the keepalived of the pid file (PID and command line from /proc), the configuration
 * file's bytes and, with `test`, keepalived's verdict on that file and its version.
 */
export async function snapshot(
  transport: CommandTransport,
  conf: string,
  pidFile: string,
  test = false,
): Promise<KeepalivedSnapshot> {
  const r = await sh(
    transport,
    [
      'echo @@process; pid=$(cat "$2" 2>/dev/null) && [ -r "/proc/$pid/cmdline" ] && { echo "$pid"; tr "\\0" "\\n" < "/proc/$pid/cmdline"; echo; }',
      'if [ -e "$1" ]; then echo @@conf; base64 < "$1" || exit 1; fi',
      '[ "$3" = test ] || exit 0',
      'out=$(keepalived --config-test -f "$1" 2>&1); echo "@@test $?"; printf "%s\\n" "$out"',
      'echo @@version; keepalived --version 2>&1 | head -n 1',
    ].join('\n'),
    [conf, pidFile, test ? 'test' : ''],
  );
  if (r.exitCode !== 0) {
    throw new DriverError(
      `cannot read ${conf} on the director (${transport.description}): ${r.stderr.trim()}`,
      r.stderr,
    );
  }
  const s = sections(r.stdout);
  const result: KeepalivedSnapshot = {
    process: processFrom(s.process),
    bytes: s.conf === undefined ? undefined : Buffer.from(s.conf.replace(/\s+/g, ''), 'base64').toString('latin1'),
  };
  if (s.test !== undefined) {
    const [code, ...said] = s.test.split('\n');
    const lines = said.map((l) => l.trim()).filter(Boolean);
    result.rejected =
      code === '0'
        ? undefined
        : code === '127'
          ? 'keepalived not found on the director'
          : lines.length > 0
            ? lines.join('; ')
            : `keepalived --config-test exited ${code} without a message`;
    result.version = s.version?.trim() ?? '';
  }
  return result;
}

/** Exit codes of the apply script, each a step that did not happen (and nothing after it did). */
const APPLY_FAILED: Record<number, string> = {
  70: 'cannot keep a backup',
  71: 'cannot write the edited file next to it',
  72: 'keepalived --config-test rejects the edited file',
  73: 'the file changed while the driver edited it',
  74: 'cannot replace the file',
  75: 'keepalived (the pid file’s process) is not running any more',
  76: 'cannot send SIGHUP to keepalived',
};

export class ApplyError extends DriverError {
  override name = 'ApplyError';
  constructor(
    message: string,
    /** The step that failed (see APPLY_FAILED); 72 carries keepalived's own words. */
    readonly step: number,
    readonly said: string,
  ) {
    super(message, said);
  }
}

export interface ApplyOptions {
  conf: string;
  /** The edited bytes (latin1). */
  bytes: string;
  /** sha256 of the bytes the edit was made from: the file is replaced only if it still holds them. */
  fromSha256: string;
  /** Copy the file there first (the first change of a run). */
  backup?: string;
  /** keepalived's PID, checked to be keepalived still, then sent SIGHUP. */
  pid: number;
}

/**
 * One round trip: write the edited file next to the original (same folder: its includes resolve the
 * same; `cp -p` keeps owner and mode), `keepalived --config-test` it, keep a backup (first change),
 * replace the original by an atomic rename only if nobody changed it meanwhile, and reload keepalived by
 * SIGHUP. Any step that fails stops the rest; before the rename, the running director is untouched.
 */
export async function applyAndReload(transport: CommandTransport, o: ApplyOptions): Promise<void> {
  const candidate = `${o.conf}.lvs-drain-kit.new`;
  const r = await sh(
    transport,
    [
      'conf=$1 new=$2 from=$3 pid=$4 backup=$5',
      '{ cp -p "$conf" "$new" && base64 -d > "$new"; } || { rm -f "$new"; exit 71; }',
      'out=$(keepalived --config-test -f "$new" 2>&1) || { rm -f "$new"; printf "%s\\n" "$out" >&2; exit 72; }',
      '[ -z "$backup" ] || cp -p "$conf" "$backup" || { rm -f "$new"; exit 70; }',
      '[ "$(sha256sum < "$conf" | cut -c1-64)" = "$from" ] || { rm -f "$new"; exit 73; }',
      'tr "\\0" "\\n" < "/proc/$pid/cmdline" 2>/dev/null | head -n 1 | grep -q "keepalived$" || { rm -f "$new"; exit 75; }',
      'mv -f "$new" "$conf" || exit 74',
      'kill -HUP "$pid" || exit 76',
    ].join('\n'),
    [o.conf, candidate, o.fromSha256, String(o.pid), o.backup ?? ''],
    Buffer.from(o.bytes, 'latin1').toString('base64'),
  );
  if (r.exitCode === 0) return;
  const said = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
  const what = APPLY_FAILED[r.exitCode] ?? `the edit failed with exit code ${r.exitCode}`;
  throw new ApplyError(`${o.conf}: ${what}${said ? `: ${said}` : ''}`, r.exitCode, said);
}

/**
 * Every keepalived process on the director, by its name in /proc (no pgrep needed), lowest PID first:
 * the parent that forked the checker and VRRP processes comes first.
 */
export async function keepalivedProcesses(transport: CommandTransport): Promise<KeepalivedProcess[]> {
  const r = await sh(
    transport,
    'for d in /proc/[0-9]*; do read -r c < "$d/comm" 2>/dev/null && [ "$c" = keepalived ] && { echo "@pid $d"; tr "\\0" "\\n" < "$d/cmdline"; }; done; exit 0',
  );
  if (r.exitCode !== 0) return [];
  const found: KeepalivedProcess[] = [];
  for (const chunk of r.stdout.split('@pid ').slice(1)) {
    const [pidLine, ...argv] = chunk.split('\n').filter((l) => l.length > 0);
    if (argv.length > 0) found.push({ pid: Number(pidLine?.replace('/proc/', '')), argv, conf: confOf(argv) });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

export interface ConfFile {
  path: string;
  bytes: string;
  conf: Statement[];
}

const dirOf = (path: string) => path.slice(0, Math.max(path.lastIndexOf('/'), 1));

/**
 * The files `include` brings in (globs expanded by the director's shell, relative to the including
 * file's folder as keepalived does), recursively, each once.
 */
export async function includedFiles(transport: CommandTransport, main: ConfFile, depth = 0): Promise<ConfFile[]> {
  const patterns = topLevelIncludes(main.conf);
  if (patterns.length === 0) return [];
  if (depth > 4) throw new DriverError(`${main.path}: includes nested more than 4 deep`);
  const r = await sh(
    transport,
    'cd "$1" || exit 1; shift; for p in "$@"; do for f in $p; do [ -f "$f" ] && case "$f" in /*) echo "$f";; *) echo "$PWD/$f";; esac; done; done; exit 0',
    [dirOf(main.path), ...patterns],
  );
  const out: ConfFile[] = [];
  for (const path of r.stdout.split('\n').filter(Boolean)) {
    const bytes = await readBytes(transport, path);
    if (bytes === undefined) continue;
    let conf: Statement[];
    try {
      conf = parseKeepalivedConf(bytes);
    } catch (err) {
      throw new DriverError(`${path} (included by ${main.path}): ${(err as Error).message}`);
    }
    const file = { path, bytes, conf };
    out.push(file, ...(await includedFiles(transport, file, depth + 1)));
  }
  return out;
}
