/** A minimal 64-bit little-endian ELF file for the lab's ELF readers: a section-name table and the given sections. */
export interface FixtureSection {
  name: string;
  body: Uint8Array;
  /** sh_type (3 strtab, 6 dynamic); default 0. */
  type?: number;
  /** sh_link: the index of a related section (the .dynamic's string table); default 0. */
  link?: number;
}

/** Sections are numbered from 2 (0 is the null section, 1 the name table), in the order given. */
export function elfFile(sections: readonly FixtureSection[]): Buffer {
  const all: FixtureSection[] = [
    { name: '', body: new Uint8Array() },
    { name: '.shstrtab', body: new Uint8Array(), type: 3 },
    ...sections,
  ];
  all[1]!.body = Buffer.from(`${all.map((s) => s.name).join('\0')}\0`);
  let offset = 64;
  const placed = all.map((s) => {
    const at = offset;
    offset += s.body.length;
    return at;
  });
  const shoff = offset + ((8 - (offset % 8)) % 8);
  const out = Buffer.alloc(shoff + all.length * 64);
  out.writeUInt32BE(0x7f454c46, 0);
  out[4] = 2; // 64-bit
  out[5] = 1; // little endian
  out.writeBigUInt64LE(BigInt(shoff), 0x28);
  out.writeUInt16LE(64, 0x3a);
  out.writeUInt16LE(all.length, 0x3c);
  out.writeUInt16LE(1, 0x3e);
  let nameAt = 0;
  all.forEach((s, i) => {
    const base = shoff + i * 64;
    out.writeUInt32LE(nameAt, base);
    out.writeUInt32LE(s.type ?? 0, base + 4);
    out.writeBigUInt64LE(BigInt(placed[i]!), base + 0x18);
    out.writeBigUInt64LE(BigInt(s.body.length), base + 0x20);
    out.writeUInt32LE(s.link ?? 0, base + 0x28);
    Buffer.from(s.body).copy(out, placed[i]!);
    nameAt += Buffer.byteLength(s.name) + 1;
  });
  return out;
}
