import { describe, expect, it } from 'vitest';
import {
  fillPlaceholders,
  fillTemplate,
  placeholdersOutside,
  unknownPlaceholders,
} from '../src/drivers/command-template.js';
import { parseSshUrl, sshArgv } from '../src/transports/ssh.js';

describe('quoting in drivers', () => {
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

describe('named placeholders', () => {
  it('fills only the names given, each quoted, and names the unknown ones', () => {
    const values = { name: "rs1'; reboot; '", rip: '198.18.0.11', rport: 2100 };
    expect(fillPlaceholders('ssh root@{rip} restart {name} # {other}', values)).toBe(
      `ssh root@198.18.0.11 restart 'rs1'\\''; reboot; '\\''' # {other}`,
    );
    expect(placeholdersOutside('{rip} {nmae} {rport}', ['rip', 'rport', 'name'])).toEqual(['nmae']);
  });
});
