import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  dynamicWeightChecker,
  KeepalivedConfError,
  locateRealServer,
  locateTrackFileDrain,
  parseKeepalivedConf,
  quorumOf,
  topLevelIncludes,
  withWeight,
} from '../src/drivers/keepalived-conf.js';

const exec = promisify(execFile);
const vip = { host: '172.16.0.100', port: 2100 };
const rs1 = { host: '172.16.0.111', port: 2100 };
const FILE = '/etc/keepalived/keepalived.conf';

/** A production-looking file: comments (with braces and a Latin-1 byte), quoted strings, a brace on its own line. */
const CONF = [
  '! Configuration File for keepalived — café \xe9 {not a block}',
  'global_defs {',
  '   router_id LVS_1   # the director',
  '   notification_email { ops@example.com }',
  '}',
  'track_file drain_rs1 {',
  '    file "/etc/keepalived/drain-rs1"',
  '    weight 0',
  '}',
  'virtual_server 172.16.0.100 2100',
  '{',
  '    delay_loop 6',
  '    lb_algo wrr',
  '    lb_kind DR',
  '    protocol TCP',
  '    real_server 172.16.0.111 2100 {',
  '        weight\t3   ! three times rs2',
  '        inhibit_on_failure',
  '        TCP_CHECK { connect_timeout 3 }',
  '        FILE_CHECK {',
  '            track_file drain_rs1',
  '        }',
  '        MISC_CHECK {',
  '            misc_path "/usr/local/bin/check {x} # y"',
  '        }',
  '    }',
  '    real_server 172.16.0.112 2100 {',
  '        weight 1',
  '    }',
  '}',
  'virtual_server 172.16.0.100 443 {',
  '    real_server 172.16.0.111 443 { weight 7 }',
  '}',
  '',
].join('\r\n');

const edit = (text: string, patch: (t: string) => string) => parseKeepalivedConf(patch(text));

describe('keepalived.conf', () => {
  it("finds the real server's weight in the right virtual server, whatever the comments and layout", () => {
    const conf = parseKeepalivedConf(CONF);
    expect(topLevelIncludes(conf)).toEqual([]);
    const located = locateRealServer(conf, vip, rs1, FILE);
    expect(located.value).toBe(3);
    expect(located.weight.line).toBe(17);
    expect(located.virtualServer.line).toBe(10);
    expect(locateRealServer(conf, { ...vip, port: 443 }, { ...rs1, port: 443 }, FILE).value).toBe(7);
  });

  it('changes that one number and keeps every other byte', () => {
    const located = locateRealServer(parseKeepalivedConf(CONF), vip, rs1, FILE);
    const drained = withWeight(CONF, located, 0);
    expect(drained).toBe(CONF.replace('weight\t3   !', 'weight\t0   !'));
    expect(drained.length).toBe(CONF.length);
    const back = withWeight(drained, locateRealServer(parseKeepalivedConf(drained), vip, rs1, FILE), 3);
    expect(back).toBe(CONF);
    expect(Buffer.from(back, 'latin1').equals(Buffer.from(CONF, 'latin1'))).toBe(true);
  });

  it('a real server without a port is at the virtual server’s port', () => {
    const conf = edit(CONF, (t) => t.replace('real_server 172.16.0.111 2100 {', 'real_server 172.16.0.111 {'));
    expect(locateRealServer(conf, vip, rs1, FILE).value).toBe(3);
  });

  const refusals: Array<[string, (t: string) => string, RegExp]> = [
    [
      'no such virtual server',
      (t) => t.replace('virtual_server 172.16.0.100 2100', 'virtual_server 172.16.0.101 2100'),
      /has no "virtual_server 172\.16\.0\.100 2100" block/,
    ],
    [
      'the virtual server twice',
      (t) => `${t}virtual_server 172.16.0.100 2100 {\n}\n`,
      /defines "virtual_server 172\.16\.0\.100 2100" 2 times \(lines 10, 34\)/,
    ],
    [
      'no such real server',
      (t) => t.replace('real_server 172.16.0.111 2100 {', 'real_server 172.16.0.113 2100 {'),
      /has no "real_server 172\.16\.0\.111 2100"/,
    ],
    [
      'the real server twice',
      (t) => t.replace('    real_server 172.16.0.112 2100 {', '    real_server 172.16.0.111 2100 {'),
      /defines "real_server 172\.16\.0\.111 2100" 2 times/,
    ],
    [
      'no weight line',
      (t) => t.replace('weight\t3   ! three times rs2', 'alpha'),
      /has no weight line \(keepalived's default applies\): add "weight 1"/,
    ],
    ['two weight lines', (t) => t.replace('inhibit_on_failure', 'weight 2'), /has 2 weight lines \(lines 17, 18\)/],
    [
      'a weight from a parameter',
      (t) => t.replace('weight\t3', 'weight\t$RS1_WEIGHT'),
      /"weight \$RS1_WEIGHT" .* is evaluated by keepalived/,
    ],
    [
      'a conditional line',
      (t) => t.replace('        inhibit_on_failure', '        @lb2 inhibit_on_failure'),
      /"@lb2 inhibit_on_failure" .* is evaluated by keepalived/,
    ],
    [
      'a weight with more words',
      (t) => t.replace('weight\t3 ', 'weight\t3 4'),
      /"weight 3 4" is not a literal "weight N"/,
    ],
    [
      'an include in the block',
      (t) => t.replace('    lb_kind DR', '    include /etc/keepalived/rs.d/*.conf'),
      /an include inside "virtual_server 172\.16\.0\.100 2100"/,
    ],
    ['an unclosed block', (t) => t.slice(0, t.lastIndexOf('}')), /a block is not closed/],
    ['a stray brace', (t) => `}\n${t}`, /line 1: "}" closes no block/],
  ];
  for (const [what, patch, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => locateRealServer(edit(CONF, patch), vip, rs1, FILE)).toThrow(message);
      expect(() => locateRealServer(edit(CONF, patch), vip, rs1, FILE)).toThrow(KeepalivedConfError);
    });
  }

  it('names the checkers that own the weight (misc_dynamic, FILE_CHECK dynamic)', () => {
    const plain = locateRealServer(parseKeepalivedConf(CONF), vip, rs1, FILE);
    expect(dynamicWeightChecker(plain)).toBeUndefined();
    const dynamic = locateRealServer(
      edit(CONF, (t) => t.replace('misc_path "/usr/local/bin/check {x} # y"', 'misc_path "/bin/true"\n misc_dynamic')),
      vip,
      rs1,
      FILE,
    );
    expect(dynamicWeightChecker(dynamic)?.words[0]?.text).toBe('MISC_CHECK');
  });

  it('sums the written weights against an explicit quorum', () => {
    expect(quorumOf(locateRealServer(parseKeepalivedConf(CONF), vip, rs1, FILE))).toBeUndefined();
    const q = locateRealServer(
      edit(CONF, (t) => t.replace('    delay_loop 6', '    delay_loop 6\n    quorum 2')),
      vip,
      rs1,
      FILE,
    );
    expect(quorumOf(q)).toEqual({ quorum: 2, total: 4 });
  });
});

describe('a drain by track file', () => {
  const located = (t: string) => {
    const conf = parseKeepalivedConf(t);
    return { conf, located: locateRealServer(conf, vip, rs1, FILE) };
  };

  it('finds the file of the FILE_CHECK the server has, weight 0, with inhibit_on_failure', () => {
    const { conf, located: l } = located(CONF);
    expect(locateTrackFileDrain(conf, l, 'drain_rs1', FILE)).toEqual({
      path: '/etc/keepalived/drain-rs1',
      multiplier: 0,
    });
    // inhibit_on_failure given on the virtual server holds for its real servers.
    const inherited = located(
      CONF.replace('        inhibit_on_failure', '').replace(
        '    lb_kind DR',
        '    lb_kind DR\n    inhibit_on_failure',
      ),
    );
    expect(locateTrackFileDrain(inherited.conf, inherited.located, 'drain_rs1', FILE).path).toBe(
      '/etc/keepalived/drain-rs1',
    );
  });

  const refusals: Array<[string, (t: string) => string, string, RegExp]> = [
    ['an unknown track_file', (t) => t, 'drain_rs9', /has no "track_file drain_rs9 \{ file PATH; weight 0 \}" block/],
    [
      'no FILE_CHECK on the server',
      (t) => t.replace('            track_file drain_rs1\r\n', ''),
      'drain_rs1',
      /has no FILE_CHECK \{ track_file drain_rs1 \}/,
    ],
    [
      'a multiplier that adds to the weight',
      (t) => t.replace('    weight 0', '    weight 2'),
      'drain_rs1',
      /weighs the file's value by 2/,
    ],
    [
      'the default multiplier (1)',
      (t) => t.replace('    weight 0\r\n', ''),
      'drain_rs1',
      /weighs the file's value by 1/,
    ],
    [
      'no inhibit_on_failure',
      (t) => t.replace('        inhibit_on_failure', ''),
      'drain_rs1',
      /has no inhibit_on_failure: a failed FILE_CHECK would remove it from IPVS/,
    ],
    [
      'inhibit_on_failure off',
      (t) => t.replace('        inhibit_on_failure', '        inhibit_on_failure false'),
      'drain_rs1',
      /has no inhibit_on_failure/,
    ],
    [
      'a file other servers watch too',
      (t) => t.replace('        weight 1\r\n', '        weight 1\r\n        FILE_CHECK { track_file drain_rs1 }\r\n'),
      'drain_rs1',
      /is also checked by real_server 172\.16\.0\.112 2100: writing it would drain them too/,
    ],
  ];
  for (const [what, patch, name, message] of refusals) {
    it(`refuses ${what}`, () => {
      const { conf, located: l } = located(patch(CONF));
      expect(() => locateTrackFileDrain(conf, l, name, FILE)).toThrow(message);
    });
  }
});

describe('examples/keepalived-track-file.conf', () => {
  const EXAMPLE = readFileSync(new URL('../../../examples/keepalived-track-file.conf', import.meta.url), 'latin1');
  const exampleVip = { host: '172.16.0.113', port: 2100 };

  it('both drains are open on each real server: a literal weight, and a track file with weight 0 and inhibit_on_failure', () => {
    const conf = parseKeepalivedConf(EXAMPLE);
    for (const [host, name] of [
      ['172.16.0.111', 'drain_rs1'],
      ['172.16.0.112', 'drain_rs2'],
    ] as const) {
      const l = locateRealServer(conf, exampleVip, { host, port: 2100 }, FILE);
      expect(l.value).toBe(1);
      expect(dynamicWeightChecker(l)).toBeUndefined();
      expect(locateTrackFileDrain(conf, l, name, FILE)).toEqual({
        path: `/etc/keepalived/${name.replace('_', '-')}`,
        multiplier: 0,
      });
    }
  });

  it('keepalived --config-test accepts it, and rejects it with a typo (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldk-keepalived-example-'));
    try {
      const file = join(dir, 'keepalived.conf');
      writeFileSync(file, EXAMPLE, 'latin1');
      const ok = await exec('keepalived', ['--config-test', '-f', file]);
      expect(ok.stderr).toBe('');
      writeFileSync(file, EXAMPLE.replace('lb_algo wrr', 'lb_algo wrrr'), 'latin1');
      const bad = await exec('keepalived', ['--config-test', '-f', file]).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect(bad).toMatchObject({ code: 5 });
      expect(bad.stderr).toContain("Invalid lvs_scheduler 'wrrr'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
