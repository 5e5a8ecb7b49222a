/**
 * What other programs know about rs-server without importing it: where its binary is, and the line it
 * logs once it listens — the words of the Java server it replaces, which the labs, the benchmark, the
 * tests and operators' wrapper scripts wait for.
 */
import { fileURLToPath } from 'node:url';

/** The rs-server binary of this repository (packages/server/bin), from common's src/ and dist/ alike. */
export const RS_SERVER_BIN = fileURLToPath(new URL('../../server/bin/rs-server.js', import.meta.url));

const BANNER_WORDS = 'Listening Port is';

/** The readiness banner: rs-server logs it once, when its port is bound. */
export function formatReadyBanner(port: number): string {
  return `${BANNER_WORDS} ${port}...`;
}

/** The banner as the message of a line: alone, or after the level of a pretty log line (`INFO: `). */
const IN_TEXT = /(?:^|: )Listening Port is (\d{1,5})\.\.\.(?= |$)/;

/**
 * The port a readiness banner announces, or undefined when `line` is not one. `line` is one line of
 * rs-server's output in either log format: a JSON record (the banner is its `msg`, so a client's line
 * that quotes the banner is never taken for it), a pretty line, or the bare banner.
 */
export function parseReadyBanner(line: string): number | undefined {
  const text = line.trim();
  if (text.startsWith('{')) {
    let msg: unknown;
    try {
      msg = (JSON.parse(text) as { msg?: unknown }).msg;
    } catch {
      return undefined;
    }
    return typeof msg === 'string' ? parseReadyBanner(msg) : undefined;
  }
  const m = IN_TEXT.exec(text);
  return m ? Number(m[1]) : undefined;
}
