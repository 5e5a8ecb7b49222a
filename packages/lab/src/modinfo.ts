/**
 * Reads a kernel module's `.modinfo` section straight from the ELF file: Debian's kernel package ships no
 * modules.dep and the host has no kmod, so dependencies come from each module's own `depends=` and
 * `softdep=` strings.
 */

export interface ModuleInfo {
  name: string;
  depends: string[];
  /** `softdep=pre: a b` — modules the module wants loaded first (e.g. crc32c_generic before libcrc32c). */
  softPre: string[];
}

/** Module names in depends= use underscores; file names sometimes dashes. */
export function normaliseModuleName(name: string): string {
  return name.replace(/-/g, '_');
}

/** Finds the bytes of the `.modinfo` section of a 64-bit little-endian ELF object. */
export function modinfoSection(elf: Uint8Array): Uint8Array {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 64 || view.getUint32(0, false) !== 0x7f454c46) throw new Error('not an ELF file');
  if (elf[4] !== 2 || elf[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  const section = (i: number) => {
    const base = shoff + i * shentsize;
    return {
      name: view.getUint32(base, true),
      offset: Number(view.getBigUint64(base + 0x18, true)),
      size: Number(view.getBigUint64(base + 0x20, true)),
    };
  };
  const strtab = section(shstrndx);
  const decoder = new TextDecoder();
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const start = strtab.offset + s.name;
    let end = start;
    while (end < elf.length && elf[end] !== 0) end++;
    if (decoder.decode(elf.subarray(start, end)) === '.modinfo') return elf.subarray(s.offset, s.offset + s.size);
  }
  throw new Error('no .modinfo section');
}

/** Parses the NUL-separated `key=value` strings of a `.modinfo` section. */
export function parseModinfo(section: Uint8Array, fallbackName: string): ModuleInfo {
  const fields = new TextDecoder()
    .decode(section)
    .split('\0')
    .filter((s) => s.includes('='));
  const get = (key: string) => fields.filter((f) => f.startsWith(`${key}=`)).map((f) => f.slice(key.length + 1));
  const depends = get('depends')
    .flatMap((d) => d.split(','))
    .map((d) => d.trim())
    .filter(Boolean)
    .map(normaliseModuleName);
  const softPre = get('softdep').flatMap((s) => {
    // "pre: a b post: c" — keep the names between "pre:" and the next keyword.
    const m = /pre:\s*([^:]*?)(?:\s+post:.*)?$/.exec(s.trim());
    return m?.[1] ? m[1].split(/\s+/).filter(Boolean).map(normaliseModuleName) : [];
  });
  const name = get('name')[0];
  return { name: normaliseModuleName(name ?? fallbackName), depends, softPre };
}
