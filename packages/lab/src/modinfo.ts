/**
 * Reads a kernel module's `.modinfo` section straight from the ELF file: Debian's kernel package ships no
 * modules.dep and the host has no kmod, so dependencies come from each module's own `depends=` and
 * `softdep=` strings.
 */
import { elfSection } from './elf.js';

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

/** The bytes of the `.modinfo` section of a 64-bit little-endian ELF object. */
export function modinfoSection(elf: Uint8Array): Uint8Array {
  return elfSection(elf, '.modinfo');
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
