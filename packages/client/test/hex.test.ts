import { describe, expect, it } from 'vitest';
import { hexDump } from '../src/hex.js';

describe('hexDump', () => {
  it('shows offset, 16 bytes in two groups of 8, and printable ASCII', () => {
    expect(hexDump(Buffer.from("it's from the host: rs1\n"))).toEqual([
      "00000000  69 74 27 73 20 66 72 6f  6d 20 74 68 65 20 68 6f  |it's from the ho|",
      '00000010  73 74 3a 20 72 73 31 0a                           |st: rs1.|',
    ]);
  });

  it('pads a short row so the ASCII column lines up', () => {
    const [line] = hexDump(Buffer.from('ab'));
    // 2 bytes, 6 empty slots, the gap between the groups, 8 empty slots, then the ASCII column.
    expect(line).toBe(`00000000  61 62 ${'   '.repeat(6)} ${'   '.repeat(8)} |ab|`);
    expect(line!.indexOf('|')).toBe(hexDump(Buffer.alloc(16, 0x41))[0]!.indexOf('|'));
  });

  it('shows control and non-ASCII bytes as dots, never raw', () => {
    const [line] = hexDump(Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0xc3, 0xa9, 0x7f]));
    expect(line).toBe('00000000  1b 5b 32 4a 07 c3 a9 7f                           |.[2J....|');
  });

  it('starts counting at the given offset, and shows nothing for no bytes', () => {
    expect(hexDump(Buffer.from('x'), 0x48)[0]).toMatch(/^00000048 {2}78 /);
    expect(hexDump(Buffer.alloc(0))).toEqual([]);
  });
});
