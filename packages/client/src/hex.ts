/**
 * `hexdump -C` style view of received bytes:
 * `00000000  68 65 6c 6c 6f 0a                                 |hello.|`
 * Only printable ASCII shows in the right column, so nothing reaches the
 * terminal as a control sequence.
 */

const WIDTH = 16;

function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
}

export function hexDump(bytes: Uint8Array, startOffset = 0): string[] {
  const lines: string[] = [];
  for (let row = 0; row < bytes.length; row += WIDTH) {
    const chunk = bytes.subarray(row, Math.min(row + WIDTH, bytes.length));
    let hex = '';
    for (let i = 0; i < WIDTH; i++) {
      if (i === WIDTH / 2) hex += ' ';
      hex += i < chunk.length ? `${chunk[i]!.toString(16).padStart(2, '0')} ` : '   ';
    }
    const ascii = Array.from(chunk, printable).join('');
    lines.push(`${(startOffset + row).toString(16).padStart(8, '0')}  ${hex} |${ascii}|`);
  }
  return lines;
}
