/**
 * keepalived.conf as the keepalived driver needs it: the statements and blocks with the place of every
 * word in the text, so that one value (a real server's `weight N`) can be changed and everything else
 * stays byte for byte as it was. Pure: text in, answers out. Whatever the driver cannot be sure of —
 * a second definition, a weight that is not a literal number, parameters or conditionals in the block,
 * an include inside it — is a refusal with the reason and what to do, never a guess.
 */

/** One word of a statement and where it is in the text (a quoted string keeps its quotes). */
export interface Word {
  text: string;
  start: number;
  end: number;
}

export interface Statement {
  words: Word[];
  /** 1-based line of the first word. */
  line: number;
  /** The statements inside `{ … }` after it, if it opens a block. */
  block?: Statement[];
}

/** Why the driver cannot work on this file for this server, in one line with what to do. */
export class KeepalivedConfError extends Error {
  override name = 'KeepalivedConfError';
}

/** Splits into words: blanks separate, `{` and `}` are words of their own, `#` and `!` start a comment. */
function words(text: string): Array<Word & { line: number }> {
  const out: Array<Word & { line: number }> = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      out.push({ text: '\n', start: i, end: i + 1, line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#' || c === '!') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}') {
      out.push({ text: c, start: i, end: i + 1, line });
      i++;
    } else {
      const start = i;
      let quoted = false;
      while (i < text.length) {
        const d = text[i]!;
        if (d === '"') quoted = !quoted;
        else if (d === '\\' && quoted) i++;
        else if (!quoted && (d === ' ' || d === '\t' || d === '\r' || d === '\n' || d === '{' || d === '}')) break;
        i++;
      }
      out.push({ text: text.slice(start, i), start, end: i, line });
    }
  }
  return out;
}

/** The statements of a keepalived configuration file, blocks nested. Unbalanced braces are refused. */
export function parseKeepalivedConf(text: string): Statement[] {
  const root: Statement[] = [];
  const stack: Statement[][] = [root];
  let current: Statement | undefined;
  let last: Statement | undefined;
  for (const w of words(text)) {
    const list = stack.at(-1)!;
    if (w.text === '\n') {
      current = undefined;
    } else if (w.text === '{') {
      // A block belongs to the statement before it, on this line or the line above.
      const owner = current ?? last;
      if (!owner || owner.block) throw new KeepalivedConfError(`line ${w.line}: "{" without a keyword before it`);
      owner.block = [];
      stack.push(owner.block);
      current = undefined;
      last = undefined;
    } else if (w.text === '}') {
      if (stack.length === 1) throw new KeepalivedConfError(`line ${w.line}: "}" closes no block`);
      stack.pop();
      current = undefined;
      last = undefined;
    } else if (current) {
      current.words.push(w);
    } else {
      current = { words: [w], line: w.line };
      list.push(current);
      last = current;
    }
  }
  if (stack.length > 1) throw new KeepalivedConfError('a block is not closed (missing "}")');
  return root;
}

const keyword = (s: Statement) => s.words[0]?.text ?? '';
const arg = (s: Statement, i: number) => s.words[i]?.text;
const isInclude = (s: Statement) => /^include[a-z]?$/.test(keyword(s));

/** Addresses as keepalived and ipvsadm print them compare as written, lower case, without brackets. */
const sameHost = (a: string | undefined, b: string) =>
  a !== undefined && a.replace(/^\[|\]$/g, '').toLowerCase() === b.replace(/^\[|\]$/g, '').toLowerCase();

export interface ServiceAddress {
  host: string;
  port: number;
}

/** Top-level `virtual_server HOST PORT` blocks for this service (fwmark and group services never match). */
export function virtualServersFor(conf: readonly Statement[], vip: ServiceAddress): Statement[] {
  return conf.filter(
    (s) => keyword(s) === 'virtual_server' && sameHost(arg(s, 1), vip.host) && arg(s, 2) === String(vip.port),
  );
}

/** The `include` patterns at the top level (inside a block they are refused by `locateRealServer`). */
export function topLevelIncludes(conf: readonly Statement[]): string[] {
  return conf.filter(isInclude).map((s) => unquote(arg(s, 1) ?? ''));
}

export function unquote(word: string): string {
  return word.length >= 2 && word.startsWith('"') && word.endsWith('"') ? word.slice(1, -1) : word;
}

/** Every statement inside `block`, at any depth. */
function* walk(block: readonly Statement[]): Generator<Statement> {
  for (const s of block) {
    yield s;
    if (s.block) yield* walk(s.block);
  }
}

/** Words the driver does not evaluate: parameters ($NAME, ${NAME}), sequences (~SEQ), config-id lines (@id). */
function unevaluated(block: readonly Statement[]): Statement | undefined {
  for (const s of walk(block)) {
    if (s.words.some((w) => w.text.includes('$') || w.text.startsWith('~SEQ') || w.text.startsWith('@'))) return s;
  }
  return undefined;
}

export interface RealServerBlock {
  virtualServer: Statement;
  realServer: Statement;
  /** The `weight N` statement directly in the real_server block. */
  weight: Statement;
  /** Its value as written. */
  value: number;
}

/**
 * The one `virtual_server VIP PORT` block of this file. Refused (KeepalivedConfError) when it is not
 * defined exactly once, or its block holds an include or anything whose meaning depends on evaluation.
 */
export function locateVirtualServer(conf: readonly Statement[], vip: ServiceAddress, file: string): Statement {
  const service = `virtual_server ${vip.host} ${vip.port}`;
  const found = virtualServersFor(conf, vip);
  if (found.length === 0) {
    throw new KeepalivedConfError(
      `${file} has no "${service}" block (virtual_server group and fwmark services are not supported)`,
    );
  }
  if (found.length > 1) {
    throw new KeepalivedConfError(
      `${file} defines "${service}" ${found.length} times (lines ${found.map((s) => s.line).join(', ')}): which one keepalived keeps is not for the driver to guess`,
    );
  }
  const vs = found[0]!;
  if (!vs.block) throw new KeepalivedConfError(`${file} line ${vs.line}: "${service}" has no block`);
  const inner = [...walk(vs.block)].find(isInclude);
  if (inner) {
    throw new KeepalivedConfError(
      `${file} line ${inner.line}: an include inside "${service}": real servers may be defined in another file; write them in the block itself`,
    );
  }
  const odd = unevaluated(vs.block);
  if (odd) {
    throw new KeepalivedConfError(
      `${file} line ${odd.line}: "${odd.words.map((w) => w.text).join(' ')}" in "${service}" is evaluated by keepalived (parameters, ~SEQ, @config-id): the driver edits only literal values`,
    );
  }
  return vs;
}

/**
 * The real server's `weight N` inside the one `virtual_server VIP PORT` block of this file. Refused
 * (KeepalivedConfError) as `locateVirtualServer` refuses, and when the server is not defined exactly
 * once in it or its weight is not one literal `weight N` line.
 */
export function locateRealServer(
  conf: readonly Statement[],
  vip: ServiceAddress,
  real: ServiceAddress,
  file: string,
): RealServerBlock {
  const service = `virtual_server ${vip.host} ${vip.port}`;
  const vs = locateVirtualServer(conf, vip, file);
  const block = vs.block!;
  const servers = block.filter(
    (s) =>
      keyword(s) === 'real_server' &&
      sameHost(arg(s, 1), real.host) &&
      (arg(s, 2) ?? String(vip.port)) === String(real.port),
  );
  const rs = `real_server ${real.host} ${real.port}`;
  if (servers.length === 0) throw new KeepalivedConfError(`${file}: "${service}" has no "${rs}"`);
  if (servers.length > 1) {
    throw new KeepalivedConfError(
      `${file} defines "${rs}" ${servers.length} times in "${service}" (lines ${servers.map((s) => s.line).join(', ')})`,
    );
  }
  const server = servers[0]!;
  const weights = (server.block ?? []).filter((s) => keyword(s) === 'weight');
  if (weights.length === 0) {
    throw new KeepalivedConfError(
      `${file} line ${server.line}: "${rs}" has no weight line (keepalived's default applies): add "weight 1" to its block, so that the one value the driver changes is written there`,
    );
  }
  if (weights.length > 1) {
    throw new KeepalivedConfError(
      `${file}: "${rs}" has ${weights.length} weight lines (lines ${weights.map((s) => s.line).join(', ')})`,
    );
  }
  const weight = weights[0]!;
  const value = arg(weight, 1);
  if (weight.words.length !== 2 || !/^\d+$/.test(value ?? '')) {
    throw new KeepalivedConfError(
      `${file} line ${weight.line}: "${weight.words.map((w) => w.text).join(' ')}" is not a literal "weight N"`,
    );
  }
  return { virtualServer: vs, realServer: server, weight, value: Number(value) };
}

/** `text` with the real server's weight set to `weight`: the one number changes, every other byte stays. */
export function withWeight(text: string, located: RealServerBlock, weight: number): string {
  const w = located.weight.words[1]!;
  return `${text.slice(0, w.start)}${weight}${text.slice(w.end)}`;
}

/** Checkers of the real server whose result keepalived turns into its weight: a written weight does not hold. */
export function dynamicWeightChecker(located: RealServerBlock): Statement | undefined {
  for (const c of located.realServer.block ?? []) {
    if (!c.block) continue;
    if (keyword(c) === 'MISC_CHECK' && c.block.some((s) => keyword(s) === 'misc_dynamic')) return c;
    if (keyword(c) === 'FILE_CHECK' && c.block.some((s) => keyword(s) === 'dynamic')) return c;
  }
  return undefined;
}

/** `quorum N` of the virtual server and the sum of its real servers' written weights, when it has one. */
export function quorumOf(located: RealServerBlock): { quorum: number; total: number } | undefined {
  const block = located.virtualServer.block ?? [];
  const q = block.find((s) => keyword(s) === 'quorum');
  if (!q) return undefined;
  const total = block
    .filter((s) => keyword(s) === 'real_server')
    .reduce((sum, s) => {
      const w = (s.block ?? []).find((x) => keyword(x) === 'weight');
      return sum + (w ? Number(arg(w, 1)) : 1);
    }, 0);
  return { quorum: Number(arg(q, 1)), total };
}

export interface TrackFileDrain {
  /** The file keepalived watches. */
  path: string;
  /** The FILE_CHECK's multiplier: 0 is what makes any non-zero value a failure. */
  multiplier: number;
}

/**
 * The file of `track_file NAME` that the real server's FILE_CHECK watches, for a drain by file: a
 * non-zero value fails the check, and `inhibit_on_failure` turns the failure into weight 0 (the server
 * stays in IPVS, its connections go on). Refused when any of that is not so, with the config that is.
 */
export function locateTrackFileDrain(
  conf: readonly Statement[],
  located: RealServerBlock,
  name: string,
  file: string,
): TrackFileDrain {
  const rs = located.realServer.words.map((w) => w.text).join(' ');
  const wanted = `FILE_CHECK { track_file ${name} }`;
  const defs = conf.filter((s) => /^(vrrp_)?track_file$/.test(keyword(s)) && arg(s, 1) === name);
  if (defs.length !== 1) {
    throw new KeepalivedConfError(
      defs.length === 0
        ? `${file} has no "track_file ${name} { file PATH; weight 0 }" block`
        : `${file} defines track_file ${name} ${defs.length} times`,
    );
  }
  const def = defs[0]!;
  const fileStmt = (def.block ?? []).find((s) => keyword(s) === 'file');
  const path = fileStmt ? unquote(arg(fileStmt, 1) ?? '') : '';
  if (!path.startsWith('/') || path.includes('$')) {
    throw new KeepalivedConfError(`${file} line ${def.line}: track_file ${name} has no literal absolute "file" path`);
  }
  const checks = (located.realServer.block ?? []).filter(
    (s) =>
      keyword(s) === 'FILE_CHECK' && (s.block ?? []).some((x) => keyword(x) === 'track_file' && arg(x, 1) === name),
  );
  if (checks.length === 0) throw new KeepalivedConfError(`${file}: "${rs}" has no ${wanted}`);
  const users = conf
    .filter((s) => keyword(s) === 'virtual_server')
    .flatMap((s) => s.block ?? [])
    .filter((s) => keyword(s) === 'real_server' && s !== located.realServer)
    .filter((s) => [...walk(s.block ?? [])].some((x) => keyword(x) === 'track_file' && arg(x, 1) === name));
  if (users.length > 0) {
    throw new KeepalivedConfError(
      `${file}: track_file ${name} is also checked by ${users.map((s) => s.words.map((w) => w.text).join(' ')).join(', ')}: writing it would drain them too`,
    );
  }
  const weightOf = (block: readonly Statement[] | undefined) => {
    const w = (block ?? []).find((s) => keyword(s) === 'weight');
    return w ? Number(arg(w, 1)) : undefined;
  };
  // The check's own weight wins; else the track_file's; else keepalived's default, 1.
  const multiplier = weightOf(checks[0]!.block) ?? weightOf(def.block) ?? 1;
  if (multiplier !== 0) {
    throw new KeepalivedConfError(
      `${file}: ${wanted} weighs the file's value by ${multiplier}, which adds to the weight instead of failing the check: set "weight 0" in the FILE_CHECK (or the track_file)`,
    );
  }
  const inhibit = (block: readonly Statement[] | undefined) =>
    (block ?? []).find((s) => keyword(s) === 'inhibit_on_failure');
  const own = inhibit(located.realServer.block);
  const inherited = inhibit(located.virtualServer.block);
  const on = (s: Statement | undefined) => s !== undefined && !/^(false|no|off|0)$/i.test(arg(s, 1) ?? 'true');
  if (!(own ? on(own) : on(inherited))) {
    throw new KeepalivedConfError(
      `${file}: "${rs}" has no inhibit_on_failure: a failed FILE_CHECK would remove it from IPVS and its open connections would hang; add inhibit_on_failure to its block`,
    );
  }
  return { path, multiplier };
}
