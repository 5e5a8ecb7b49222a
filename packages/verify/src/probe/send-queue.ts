/**
 * Whether the peer has acknowledged every byte a connection sent: the kernel's send queue for the
 * socket (`tx_queue` in /proc/net/tcp and tcp6: bytes written but not yet ACKed) is empty. The tcp
 * probe's liveness without an answer to read: a director that silently drops a connection's packets
 * leaves its bytes unacknowledged. One read of the tables serves every connection waiting at that moment.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { endianness } from 'node:os';

export interface SocketPair {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

const LITTLE = endianness() === 'LE';

/** An address as /proc/net/tcp{,6} prints it: each 32-bit word in host byte order, in hex. */
export function procAddress(address: string): string {
  const v4 = address.replace(/^::ffff:(?=\d+\.)/, '');
  if (isIP(v4) === 4 && !address.includes('::ffff:')) return word(Buffer.from(v4.split('.').map(Number)));
  const bytes = ipv6Bytes(address);
  let out = '';
  for (let i = 0; i < 16; i += 4) out += word(bytes.subarray(i, i + 4));
  return out;
}

function word(b: Buffer): string {
  const ordered = LITTLE ? Buffer.from(b).reverse() : b;
  return ordered.toString('hex').toUpperCase();
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, v4.index)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g || '0', 16), i * 2);
  });
  return out;
}

/** `tx_queue` of every socket in a /proc/net/tcp table, by `LOCAL-REMOTE` as the table writes them. */
export function parseSendQueues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const [tx] = f[4]!.split(':');
    out.set(`${f[1]}-${f[2]}`, Number.parseInt(tx!, 16));
  }
  return out;
}

function keyOf(p: SocketPair): string {
  const port = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `${procAddress(p.localAddress)}:${port(p.localPort)}-${procAddress(p.remoteAddress)}:${port(p.remotePort)}`;
}

interface Waiter {
  key: string;
  v6: boolean;
  deadline: number;
  resolve: (acked: boolean) => void;
}

/** Polls the tables while connections wait, every `pollMs`. */
export class SendQueueWatcher {
  readonly #waiters = new Set<Waiter>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly pollMs = 5,
    private readonly read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
  ) {}

  /** Resolves true once the socket's send queue is empty, false at `timeoutMs`. */
  acked(pair: SocketPair, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.#waiters.add({
        key: keyOf(pair),
        v6: pair.localAddress.includes(':'),
        deadline: performance.now() + timeoutMs,
        resolve,
      });
      this.#timer ??= setTimeout(() => void this.#poll(), 0);
    });
  }

  async #poll(): Promise<void> {
    const waiters = [...this.#waiters];
    const tables = new Map<string, number>();
    for (const v6 of [false, true]) {
      if (!waiters.some((w) => w.v6 === v6)) continue;
      const text = await this.read(v6 ? '/proc/net/tcp6' : '/proc/net/tcp').catch(() => '');
      for (const [k, v] of parseSendQueues(text)) tables.set(k, v);
    }
    const now = performance.now();
    for (const w of waiters) {
      const queued = tables.get(w.key);
      // A socket can be missing from one read of the table while others come and go (the kernel walks
      // its hash as it changes): only an empty queue counts, and only the deadline ends the wait.
      if (queued === 0) {
        this.#waiters.delete(w);
        w.resolve(true);
      } else if (now >= w.deadline) {
        this.#waiters.delete(w);
        w.resolve(false);
      }
    }
    this.#timer = this.#waiters.size > 0 ? setTimeout(() => void this.#poll(), this.pollMs) : undefined;
  }
}
