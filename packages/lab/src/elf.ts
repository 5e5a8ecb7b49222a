/**
 * Reads what the director image needs from 64-bit little-endian ELF files, straight from their bytes (the
 * host may have no binutils): the sections of a kernel module (its `.modinfo`), and the shared libraries
 * a program or library asks the dynamic loader for (`DT_NEEDED` in its `.dynamic` section).
 */

export interface ElfSection {
  name: string;
  /** sh_type: 6 is SHT_DYNAMIC. */
  type: number;
  offset: number;
  size: number;
  /** sh_link: for `.dynamic`, the index of its string table. */
  link: number;
}

const SHT_DYNAMIC = 6;
const DT_NULL = 0n;
const DT_NEEDED = 1n;

function header(elf: Uint8Array): DataView {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 64 || view.getUint32(0, false) !== 0x7f454c46) throw new Error('not an ELF file');
  if (elf[4] !== 2 || elf[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
  return view;
}

function cString(elf: Uint8Array, start: number): string {
  let end = start;
  while (end < elf.length && elf[end] !== 0) end++;
  return new TextDecoder().decode(elf.subarray(start, end));
}

/** Every section with its name (from the section-name string table). */
export function elfSections(elf: Uint8Array): ElfSection[] {
  const view = header(elf);
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const base = shoff + i * shentsize;
    return {
      nameAt: view.getUint32(base, true),
      type: view.getUint32(base + 4, true),
      offset: Number(view.getBigUint64(base + 0x18, true)),
      size: Number(view.getBigUint64(base + 0x20, true)),
      link: view.getUint32(base + 0x28, true),
    };
  });
  const names = raw[shstrndx];
  return raw.map(({ nameAt, ...s }) => ({ name: names ? cString(elf, names.offset + nameAt) : '', ...s }));
}

/** The bytes of the section called `name`; throws when there is none. */
export function elfSection(elf: Uint8Array, name: string): Uint8Array {
  const s = elfSections(elf).find((x) => x.name === name);
  if (!s) throw new Error(`no ${name} section`);
  return elf.subarray(s.offset, s.offset + s.size);
}

/**
 * The sonames a dynamically linked program or library needs (`libnl-3.so.200` …), in the order the
 * loader reads them; empty for a static one.
 */
export function elfNeeded(elf: Uint8Array): string[] {
  const sections = elfSections(elf);
  const dynamic = sections.find((s) => s.type === SHT_DYNAMIC);
  if (!dynamic) return [];
  const strings = sections[dynamic.link];
  if (!strings) throw new Error('.dynamic has no string table');
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const needed: string[] = [];
  for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.size; at += 16) {
    const tag = view.getBigInt64(at, true);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) needed.push(cString(elf, strings.offset + Number(view.getBigUint64(at + 8, true))));
  }
  return needed;
}
