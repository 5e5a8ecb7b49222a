/**
 * A writer for the "newc" cpio format, the only one the kernel unpacks as an initramfs.
 * Pure: entries in, bytes out (compression, if any, is the caller's business).
 */

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

interface RawEntry {
  name: string;
  mode: number;
  data: Uint8Array;
  rdevMajor: number;
  rdevMinor: number;
  nlink: number;
}

function toRaw(entry: CpioEntry): RawEntry {
  // The kernel wants paths without a leading slash.
  const name = entry.path.replace(/^\/+/, '');
  switch (entry.type) {
    case 'dir':
      return {
        name,
        mode: S_IFDIR | (entry.mode ?? 0o755),
        data: new Uint8Array(),
        rdevMajor: 0,
        rdevMinor: 0,
        nlink: 2,
      };
    case 'file':
      return { name, mode: S_IFREG | (entry.mode ?? 0o644), data: entry.data, rdevMajor: 0, rdevMinor: 0, nlink: 1 };
    case 'symlink':
      return {
        name,
        mode: S_IFLNK | 0o777,
        data: new TextEncoder().encode(entry.target),
        rdevMajor: 0,
        rdevMinor: 0,
        nlink: 1,
      };
    case 'chardev':
      return {
        name,
        mode: S_IFCHR | (entry.mode ?? 0o600),
        data: new Uint8Array(),
        rdevMajor: entry.major,
        rdevMinor: entry.minor,
        nlink: 1,
      };
  }
}

function header(raw: RawEntry, ino: number): Uint8Array {
  const nameBytes = new TextEncoder().encode(`${raw.name}\0`);
  const fields = [
    ino,
    raw.mode,
    0, // uid
    0, // gid
    raw.nlink,
    0, // mtime: fixed, so the same inputs give the same archive
    raw.data.length,
    0, // devmajor
    0, // devminor
    raw.rdevMajor,
    raw.rdevMinor,
    nameBytes.length,
    0, // check (unused by newc)
  ];
  const head = `070701${fields.map(hex8).join('')}`;
  const out = new Uint8Array(head.length + nameBytes.length + pad4(head.length + nameBytes.length));
  out.set(new TextEncoder().encode(head), 0);
  out.set(nameBytes, head.length);
  return out;
}

/** Serialises the entries (parents must come before children) followed by the trailer. */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let ino = 1;
  const all = [
    ...entries.map(toRaw),
    { name: TRAILER, mode: 0, data: new Uint8Array(), rdevMajor: 0, rdevMinor: 0, nlink: 1 },
  ];
  for (const raw of all) {
    chunks.push(header(raw, raw.name === TRAILER ? 0 : ino++));
    if (raw.data.length > 0) {
      chunks.push(raw.data);
      chunks.push(new Uint8Array(pad4(raw.data.length)));
    }
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Directory entries for every parent of `paths` not already listed, parents first. */
export function parentDirs(paths: readonly string[]): CpioEntry[] {
  const seen = new Set<string>();
  const dirs: CpioEntry[] = [];
  for (const p of paths) {
    const parts = p.replace(/^\/+/, '').split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!seen.has(dir)) {
        seen.add(dir);
        dirs.push({ type: 'dir', path: dir });
      }
    }
  }
  return dirs;
}
