/**
 * The framing of the VM's serial command channel. A request is one line `<nonce> <length> <base64 script>`;
 * the guest acknowledges it at once with `__ACK__ <nonce>` (a request whose length does not match, i.e.
 * that lost bytes on the serial line, is ignored and sent again), then answers `__BEGIN__ <nonce>`, the base64 of the script's stdout (wrapped lines),
 * `__STDERR__ <nonce>`, the base64 of its stderr, then `__END__ <nonce> <exit code>`. Base64 both ways keeps any byte (newlines, quotes, control
 * characters) from being read as framing by the tty or the shell; the nonce lets a reader skip whatever
 * an earlier, abandoned request left on the line.
 */
import { shellJoin } from '@lvs-drain-kit/common';

export const ACK_MARK = '__ACK__';
export const BEGIN_MARK = '__BEGIN__';
export const STDERR_MARK = '__STDERR__';
export const END_MARK = '__END__';

/** The shell script the guest runs for `argv` (quoted word by word) with optional stdin. */
export function scriptFor(argv: readonly string[], input?: string): string {
  const command = shellJoin(argv);
  if (input === undefined) return `${command} </dev/null\n`;
  return `echo ${Buffer.from(input).toString('base64')} | base64 -d | ${command}\n`;
}

export function encodeRequest(nonce: string, script: string): string {
  const payload = Buffer.from(script).toString('base64');
  return `${nonce} ${payload.length} ${payload}\n`;
}

export interface SerialReply {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Accumulates lines read from the channel; `push` returns the reply once the END line of `nonce` arrived.
 * Lines outside a BEGIN/END pair of this nonce are ignored (boot noise, stale replies).
 */
export class ReplyCollector {
  private inside = false;
  private readonly out: string[] = [];
  private readonly err: string[] = [];
  private target = this.out;
  /** True once the guest acknowledged the request. */
  acknowledged = false;
  constructor(private readonly nonce: string) {}

  push(rawLine: string): SerialReply | undefined {
    const line = rawLine.replace(/\r$/, '');
    if (line === `${ACK_MARK} ${this.nonce}`) {
      this.acknowledged = true;
      return undefined;
    }
    if (line === `${BEGIN_MARK} ${this.nonce}`) {
      this.inside = true;
      this.out.length = 0;
      this.err.length = 0;
      this.target = this.out;
      return undefined;
    }
    if (!this.inside) return undefined;
    if (line === `${STDERR_MARK} ${this.nonce}`) {
      this.target = this.err;
      return undefined;
    }
    const end = new RegExp(`^${END_MARK} ${this.nonce} (\\d+)$`).exec(line);
    if (end) {
      this.inside = false;
      const decode = (lines: string[]) => Buffer.from(lines.join(''), 'base64').toString('utf8');
      return { stdout: decode(this.out), stderr: decode(this.err), exitCode: Number(end[1]) };
    }
    this.target.push(line.trim());
    return undefined;
  }
}
