import { describe, expect, it } from 'vitest';
import { fillTemplate, unknownPlaceholders } from '../src/drivers/command-template.js';
import { shellJoin, shellQuote } from '../src/shell-quote.js';
import { parseSshUrl, sshArgv } from '../src/transports/ssh.js';

describe('shell quoting', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('172.16.0.114:2100')).toBe('172.16.0.114:2100');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellJoin(['ipvsadm', '-e', '-t', '[::1]:80'])).toBe("ipvsadm -e -t '[::1]:80'");
  });

  it('fills templates with every value quoted, so a value cannot break out', () => {
    const values = { vip: '172.16.0.113', vport: 2100, rip: '$(reboot)', rport: 2100, weight: 0 };
    expect(fillTemplate('set {rip}:{rport} w={weight} in {vip}:{vport}', values)).toBe(
      "set '$(reboot)':2100 w=0 in 172.16.0.113:2100",
    );
    expect(unknownPlaceholders('drain {rip} {rpot}')).toEqual(['rpot']);
  });

  it('ssh: user@host, port, and one quoted remote command string', () => {
    expect(parseSshUrl('ssh://root@lb1:2222')).toEqual({ user: 'root', host: 'lb1', port: 2222 });
    expect(sshArgv(parseSshUrl('ssh://root@172.16.0.113'), ['ipvsadm', '-L', '-n', '-t', '172.16.0.113:2100'])).toEqual(
      [
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=5',
        '--',
        'root@172.16.0.113',
        'ipvsadm -L -n -t 172.16.0.113:2100',
      ],
    );
    expect(() => parseSshUrl('ssh://')).toThrow(/expected ssh:\/\/user@host/);
  });
});
