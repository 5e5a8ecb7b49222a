import { describe, expect, it } from 'vitest';
import { parentDirs, writeCpio } from '../src/cpio.js';

/** Reads a newc archive back: the format's fields, so the writer is checked against the spec, not itself. */
function readNewc(bytes: Uint8Array) {
  const text = (a: number, b: number) => new TextDecoder().decode(bytes.subarray(a, b));
  const entries: Array<{ name: string; mode: number; size: number; rdev: [number, number]; data: string }> = [];
  let off = 0;
  for (;;) {
    expect(text(off, off + 6)).toBe('070701');
    const field = (i: number) => Number.parseInt(text(off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = text(off + 110, off + 110 + nameSize - 1);
    expect(bytes[off + 110 + nameSize - 1]).toBe(0);
    let p = off + 110 + nameSize;
    p += (4 - (p % 4)) % 4;
    const data = text(p, p + size);
    p += size;
    p += (4 - (p % 4)) % 4;
    if (name === 'TRAILER!!!') return { entries, end: p };
    entries.push({ name, mode, size, rdev: [field(9), field(10)], data });
    off = p;
  }
}

describe('writeCpio (newc)', () => {
  it('writes files, directories, symlinks and device nodes the way the kernel unpacks them', () => {
    const archive = writeCpio([
      { type: 'dir', path: '/bin' },
      { type: 'file', path: '/bin/hello', data: new TextEncoder().encode('hi!\n'), mode: 0o755 },
      { type: 'symlink', path: 'lib64/ld.so', target: '/lib/x86_64-linux-gnu/ld.so' },
      { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
      { type: 'file', path: 'odd', data: new TextEncoder().encode('12345') },
    ]);
    const { entries, end } = readNewc(archive);
    expect(end).toBe(archive.length);
    expect(archive.length % 4).toBe(0);
    expect(entries.map((e) => e.name)).toEqual(['bin', 'bin/hello', 'lib64/ld.so', 'dev/console', 'odd']);
    expect(entries[0]!.mode).toBe(0o040755);
    expect(entries[1]).toMatchObject({ mode: 0o100755, size: 4, data: 'hi!\n' });
    expect(entries[2]).toMatchObject({ mode: 0o120777, data: '/lib/x86_64-linux-gnu/ld.so' });
    expect(entries[3]).toMatchObject({ mode: 0o020600, rdev: [5, 1], size: 0 });
    expect(entries[4]).toMatchObject({ size: 5, data: '12345' });
  });

  it('is byte-for-byte reproducible (fixed mtime, inode numbers in order)', () => {
    const make = () => writeCpio([{ type: 'file', path: 'init', data: new Uint8Array([1, 2, 3]) }]);
    expect(Buffer.from(make()).equals(Buffer.from(make()))).toBe(true);
  });

  it('lists every parent directory once, parents first', () => {
    expect(parentDirs(['lib/modules/a.ko', 'lib/modules/b.ko', '/sbin/ipvsadm', 'init']).map((e) => e.path)).toEqual([
      'lib',
      'lib/modules',
      'sbin',
    ]);
  });
});
