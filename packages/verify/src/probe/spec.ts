/**
 * How to talk to the service, as plain data (what flags and a cluster file give), and the probe it makes.
 * `line` is rs-server's protocol unless told otherwise; `http` and `tcp` probe the operator's own service.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import type { Probe, ProbeKind } from './connection.js';
import { DEFAULT_EXPECT_STATUS, ExpectStatusError, parseExpectStatus } from './expect-status.js';
import { httpProbe } from './http.js';
import { lineProbe } from './line.js';
import { tcpProbe } from './tcp.js';

export const PROBE_KINDS: readonly ProbeKind[] = ['line', 'http', 'tcp'];

export type ProbeSpec =
  | {
      kind: 'line';
      /** The line each exchange sends (default: a numbered line; rs-server answers any). */
      send?: string;
      /** `(?<server>…)` reads the server's name from a reply line (default: rs-server's reply). */
      identityRegex?: string;
    }
  | {
      kind: 'http';
      /** Default `/`. */
      path?: string;
      /** Default `2xx,3xx`. */
      expectStatus?: string;
      /** The response header that names the server, e.g. `X-Served-By`. */
      identityHeader?: string;
      /** `(?<server>…)` reads the server's name from the body. */
      identityRegex?: string;
      tls?: boolean;
      /** SNI, the certificate's name and the Host header (default the VIP). */
      servername?: string;
      /** A PEM file of certificates to trust. */
      ca?: string;
      /** Accept any certificate. */
      insecure?: boolean;
    }
  | {
      kind: 'tcp';
      /** Bytes each exchange writes. */
      send?: string;
      /** A regex the answer must match. */
      expect?: string;
    };

/** Every probe setting, flat, as the option table names them. */
export interface ProbeSettings {
  probe?: ProbeKind;
  send?: string;
  expect?: string;
  identityRegex?: string;
  path?: string;
  expectStatus?: string;
  identityHeader?: string;
  tls?: boolean;
  servername?: string;
  ca?: string;
  insecure?: boolean;
}

/** Which probe kinds each setting means something for; a setting given to another kind is refused. */
const USED_BY: Record<Exclude<keyof ProbeSettings, 'probe'>, { flag: string; kinds: readonly ProbeKind[] }> = {
  send: { flag: '--send', kinds: ['line', 'tcp'] },
  expect: { flag: '--expect', kinds: ['tcp'] },
  identityRegex: { flag: '--identity-regex', kinds: ['line', 'http'] },
  path: { flag: '--path', kinds: ['http'] },
  expectStatus: { flag: '--expect-status', kinds: ['http'] },
  identityHeader: { flag: '--identity-header', kinds: ['http'] },
  tls: { flag: '--tls', kinds: ['http'] },
  servername: { flag: '--servername', kinds: ['http'] },
  ca: { flag: '--ca', kinds: ['http'] },
  insecure: { flag: '--insecure', kinds: ['http'] },
};

/** The spec flat settings describe; a setting that does not belong to the probe kind is a usage error. */
export function probeSpecFrom(s: ProbeSettings): ProbeSpec {
  const kind = s.probe ?? 'line';
  for (const [key, use] of Object.entries(USED_BY)) {
    if (s[key as keyof typeof USED_BY] !== undefined && !use.kinds.includes(kind)) {
      throw new UsageError(`${use.flag} goes with --probe ${use.kinds.join(' or ')}, not --probe ${kind}`);
    }
  }
  const defined = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  if (kind === 'line') return defined({ kind, send: s.send, identityRegex: s.identityRegex });
  if (kind === 'tcp') {
    if (s.expect !== undefined && s.send === undefined) throw new UsageError('--expect needs --send: what to ask');
    return defined({ kind, send: s.send, expect: s.expect });
  }
  if (s.identityHeader !== undefined && s.identityRegex !== undefined)
    throw new UsageError('give --identity-header or --identity-regex, not both');
  if ((s.servername !== undefined || s.ca !== undefined || s.insecure !== undefined) && !s.tls)
    throw new UsageError('--servername, --ca and --insecure go with --tls');
  return defined({
    kind,
    path: s.path,
    expectStatus: s.expectStatus,
    identityHeader: s.identityHeader,
    identityRegex: s.identityRegex,
    tls: s.tls,
    servername: s.servername,
    ca: s.ca,
    insecure: s.insecure,
  });
}

/** Whether this probe's answers can name the server that gave them. */
export function probeNamesServer(spec: ProbeSpec): boolean {
  if (spec.kind === 'line') return true;
  if (spec.kind === 'http') return spec.identityHeader !== undefined || spec.identityRegex !== undefined;
  return false;
}

/** A regex with `(?<server>…)`; a usage error otherwise. */
export function identityRegex(text: string, flag = '--identity-regex'): RegExp {
  const re = regex(text, flag);
  if (!/\(\?<server>/.test(text)) throw new UsageError(`${flag} needs a group named server: (?<server>…)`);
  return re;
}

function regex(text: string, flag: string): RegExp {
  try {
    return new RegExp(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH` in --send, as a shell's printf reads them. */
export function unescapeText(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[rnt0\\])/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return { r: '\r', n: '\n', t: '\t', '0': '\0', '\\': '\\' }[e]!;
  });
}

export interface ProbeContext {
  /** False: answers need not name the server (it comes from the director). */
  identify: boolean;
  /** The service's address as people write it: the default Host header. */
  vipText: string;
}

/** The probe a spec describes; the CA file is read here. Bad settings are usage errors. */
export async function createProbe(spec: ProbeSpec, ctx: ProbeContext): Promise<Probe> {
  switch (spec.kind) {
    case 'line':
      return lineProbe({
        identify: ctx.identify,
        ...(spec.send !== undefined ? { send: unescapeText(spec.send) } : {}),
        ...(spec.identityRegex !== undefined ? { identityRegex: identityRegex(spec.identityRegex) } : {}),
      });
    case 'tcp':
      return tcpProbe({
        ...(spec.send !== undefined ? { send: unescapeText(spec.send) } : {}),
        ...(spec.expect !== undefined ? { expect: regex(spec.expect, '--expect') } : {}),
      });
    case 'http': {
      const expectStatusText = spec.expectStatus ?? DEFAULT_EXPECT_STATUS;
      let expectStatus: ReturnType<typeof parseExpectStatus>;
      try {
        expectStatus = parseExpectStatus(expectStatusText);
      } catch (err) {
        throw err instanceof ExpectStatusError ? new UsageError(err.message) : err;
      }
      let ca: Buffer | undefined;
      if (spec.ca !== undefined) {
        try {
          ca = await readFile(spec.ca);
        } catch (err) {
          throw new UsageError(`--ca ${spec.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      const path = spec.path ?? '/';
      if (!path.startsWith('/')) throw new UsageError(`--path ${path}: a path starts with /`);
      return httpProbe({
        path,
        expectStatus,
        expectStatusText,
        identify: ctx.identify,
        hostHeader: spec.servername ?? ctx.vipText,
        ...(spec.identityHeader !== undefined ? { identityHeader: spec.identityHeader } : {}),
        ...(spec.identityRegex !== undefined ? { identityRegex: identityRegex(spec.identityRegex) } : {}),
        ...(spec.tls
          ? {
              tls: {
                ...(spec.servername !== undefined ? { servername: spec.servername } : {}),
                ...(ca ? { ca } : {}),
                ...(spec.insecure ? { insecure: true } : {}),
              },
            }
          : {}),
      });
    }
  }
}
