/** Flags several commands share, as data (see `OptionSpec`). */
import { DEFAULT_MAX_LINE_BYTES, durationArgument, wholeNumber } from '@lvs-drain-kit/common';
import type { OptionSpec } from './command.js';

export const udp: OptionSpec = { flags: '--udp', description: 'UDP: one datagram per line' };

export const crlf: OptionSpec = { flags: '--crlf', description: 'end sent lines with \\r\\n instead of \\n' };

export const connectTimeout: OptionSpec = {
  flags: '--connect-timeout <duration>',
  description: 'give up connecting after this long',
  parse: durationArgument,
  default: 5_000,
  defaultText: '5s',
};

export const noColor: OptionSpec = {
  flags: '--no-color',
  description: 'no colours (also: NO_COLOR set, or output not a terminal)',
};

export const maxLineBytes: OptionSpec = {
  flags: '--max-line-bytes <bytes>',
  description: 'longest line accepted from the peer, in bytes',
  parse: wholeNumber(1, 1 << 30),
  default: DEFAULT_MAX_LINE_BYTES,
  defaultText: '65536',
};
