import { describe, expect, it } from 'vitest';
import { formatReply, parseReply, REPLY_PREFIX } from '../src/reply.js';

describe('reply format', () => {
  it('is byte-exact with the original server', () => {
    expect(formatReply('ceph1')).toBe("it's from the host: ceph1\n");
    expect(REPLY_PREFIX).toBe("it's from the host: ");
  });

  it('parses the host name back, with or without CR', () => {
    expect(parseReply("it's from the host: ceph1")).toBe('ceph1');
    expect(parseReply("it's from the host: rs 2\r")).toBe('rs 2');
    expect(parseReply(formatReply('a.b-c').trimEnd())).toBe('a.b-c');
  });

  it('rejects what is not a reply', () => {
    expect(parseReply('')).toBeUndefined();
    expect(parseReply("it's from the host: ")).toBeUndefined();
    expect(parseReply("It's from the host: x")).toBeUndefined();
    expect(parseReply('error: line longer than 10 bytes; closing')).toBeUndefined();
  });
});
