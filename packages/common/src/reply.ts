/** The reply every real server gives to every line, as in the original Java server. */

export const REPLY_PREFIX = "it's from the host: ";

/** The command that makes a server answer and then close that one connection. */
export const SHUTDOWN_LINE = 'shutdown';

export function formatReply(hostName: string): string {
  return `${REPLY_PREFIX}${hostName}\n`;
}

/** The host name in a reply line (without its terminator), or undefined when the line is not a reply. */
export function parseReply(line: string): string | undefined {
  if (!line.startsWith(REPLY_PREFIX)) return undefined;
  const host = line.slice(REPLY_PREFIX.length).replace(/\r$/, '');
  return host.length > 0 ? host : undefined;
}
