import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatReadyBanner, parseReadyBanner, RS_SERVER_BIN } from '../src/rs-server.js';

describe('the rs-server readiness banner', () => {
  it('is the Java server’s line, and parses back to its port', () => {
    expect(formatReadyBanner(2100)).toBe('Listening Port is 2100...');
    expect(parseReadyBanner(formatReadyBanner(2100))).toBe(2100);
    expect(parseReadyBanner(formatReadyBanner(0))).toBe(0);
  });

  it('is found in a JSON record and in a pretty log line', () => {
    const json = JSON.stringify({ level: 30, port: 41234, msg: formatReadyBanner(41234) });
    expect(parseReadyBanner(json)).toBe(41234);
    expect(parseReadyBanner(`${json}\n`)).toBe(41234);
    expect(parseReadyBanner('[22:37:45.001] INFO: Listening Port is 34631... {"address":"127.0.0.1"}')).toBe(34631);
  });

  it('is not taken from other lines, nor from a client line that quotes it', () => {
    expect(parseReadyBanner('{"msg":"==============TCP SERVER=============="}')).toBeUndefined();
    expect(parseReadyBanner(JSON.stringify({ msg: 'line', line: 'Listening Port is 5...' }))).toBeUndefined();
    expect(parseReadyBanner('[22:37:45.001] INFO: line {"line":"Listening Port is 5..."}')).toBeUndefined();
    expect(parseReadyBanner('{"msg":"Listening Port is 5..."')).toBeUndefined();
    expect(parseReadyBanner('Listening Port is ...')).toBeUndefined();
    expect(parseReadyBanner('Listening Port is 2100')).toBeUndefined();
    expect(parseReadyBanner('')).toBeUndefined();
  });
});

describe('RS_SERVER_BIN', () => {
  it('is the server package’s bin script', () => {
    expect(RS_SERVER_BIN).toMatch(/packages\/server\/bin\/rs-server\.js$/);
    expect(existsSync(RS_SERVER_BIN)).toBe(true);
  });
});
