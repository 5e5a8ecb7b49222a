import { DRIVERS, type DriverSpec, flagsFromSpec, specFromFlags } from '@lvs-drain-kit/drivers';
import type { LabInfo } from '@lvs-drain-kit/lab';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { runSettings } from '../src/commands/drain-test/action.js';
import { register } from '../src/commands/drain-test/index.js';
import { validateConfig } from '../src/config.js';
import { drainTestArgs, tryLines } from '../src/lab-engines.js';
import { readDriverFlags, readOptions } from '../src/options/commander.js';
import { DRAIN_TEST_OPTIONS } from '../src/options/drain-test.js';

/** drain-test's real options, parsed without running it. */
function parse(args: readonly string[]) {
  const program = new Command().exitOverride();
  register(program);
  const command = program.commands[0]!;
  command
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .parseOptions([...args]);
  const { values, given } = readOptions(command, DRAIN_TEST_OPTIONS);
  return { values, flags: values, given, driverFlags: readDriverFlags(command) };
}

/** A lab as `lab up` hands it over (an nft lab). */
const nft: LabInfo = {
  engine: 'nft',
  id: 'ab12',
  vip: { host: '198.18.0.2', port: 2100 },
  reals: [
    { host: '198.18.0.11', port: 2100, name: 'rs1' },
    { host: '198.18.0.12', port: 2100, name: 'rs2' },
  ],
  clientNetns: 'ldk-ab12-client',
  driver: { kind: 'nft', netns: 'ldk-ab12-dir', family: 'ip', table: 'ldk_lb', chain: 'lb', map: 'backends' },
  stateDir: '/run/lvs-drain-kit/lab-nft',
  details: {},
};

describe('drain-test options from the tables', () => {
  it('every driver example survives spec → flags → commander → spec', async () => {
    for (const d of DRIVERS) {
      for (const example of d.examples) {
        const { values, driverFlags } = parse(flagsFromSpec(example as DriverSpec));
        expect(values.driver).toBe(d.kind);
        expect(await specFromFlags(values.driver!, driverFlags)).toEqual(example);
      }
    }
  });

  it('reads values under the option keys, durations in milliseconds, and knows which were typed', () => {
    const { values, given } = parse([
      '--hold',
      '3s',
      '--interval',
      '250ms',
      '--real',
      'a:1',
      '--real',
      'b:2',
      '--no-restore',
    ]);
    expect(values).toMatchObject({ holdMs: 3000, intervalMs: 250, reals: ['a:1', 'b:2'], restore: false });
    expect([...given].sort()).toEqual(['holdMs', 'intervalMs', 'reals', 'restore']);
    expect(parse([]).values.restore).toBe(true);
    expect(parse([]).given.size).toBe(0);
  });

  it('a typed flag wins over the cluster file, the file over the defaults', () => {
    const config = validateConfig({
      vip: '10.0.0.1:80',
      reals: ['10.0.0.2:80', '10.0.0.3:80'],
      drain: '10.0.0.2:80',
      driver: { kind: 'manual' },
      hold: '10s',
      interval: '1s',
      restore: false,
      strict: true,
    });
    expect(runSettings(parse(['--hold', '2s']), config)).toEqual({
      holdMs: 2000,
      intervalMs: 1000,
      restore: false,
      strict: true,
    });
    // `--no-restore` defaults to restoring: only a typed flag counts.
    expect(runSettings(parse([]), { restore: false }).restore).toBe(false);
    expect(runSettings(parse(['--no-restore']), { restore: true }).restore).toBe(false);
    expect(runSettings(parse([]), undefined)).toEqual({});
  });

  it('hands a lab over with the drivers’ flags, and the verifier reads back the lab’s spec', async () => {
    const args = drainTestArgs(nft, ['--hold', '1s']);
    expect(args).toEqual(expect.arrayContaining(['--nft-netns', 'ldk-ab12-dir', '--nft-map', 'backends']));
    const { values, driverFlags } = parse(args.slice(1));
    expect(await specFromFlags(values.driver!, driverFlags)).toEqual(nft.driver);
    expect(values.holdMs).toBe(1000);
  });

  it('probe and identity options: flags and a cluster file give one probe spec, a typed flag winning', () => {
    const config = validateConfig({
      vip: '10.0.0.1:443',
      reals: ['10.0.0.2:443', '10.0.0.3:443'],
      drain: '10.0.0.2:443',
      driver: { kind: 'manual' },
      probe: 'http',
      path: '/healthz',
      expectStatus: '200,204',
      identityHeader: 'X-Served-By',
      tls: true,
      servername: 'api.example.com',
      identity: 'both',
    });
    expect(runSettings(parse([]), config)).toEqual({
      identity: 'both',
      probe: {
        kind: 'http',
        path: '/healthz',
        expectStatus: '200,204',
        identityHeader: 'X-Served-By',
        tls: true,
        servername: 'api.example.com',
      },
    });
    expect(runSettings(parse(['--path', '/ready', '--identity', 'director']), config)).toMatchObject({
      identity: 'director',
      probe: { kind: 'http', path: '/ready' },
    });
    expect(runSettings(parse(['--probe', 'tcp', '--send', 'PING\\r\\n', '--expect', '^\\+PONG']), undefined)).toEqual({
      probe: { kind: 'tcp', send: 'PING\\r\\n', expect: '^\\+PONG' },
    });
    expect(runSettings(parse([]), undefined)).toEqual({});
    // A setting of another probe kind is a usage error, from a file too.
    expect(() => runSettings(parse(['--probe', 'line', '--path', '/x']), undefined)).toThrow(
      '--path goes with --probe http, not --probe line',
    );
    expect(() => validateConfig({ ...config, expectStatus: '2xx,9' })).toThrow(/expectStatus: --expect-status/);
    expect(() => validateConfig({ ...config, identityRegex: '^(\\S+)' })).toThrow(/identityRegex: .*named server/);
  });

  it('bad probe flags are refused while parsing', () => {
    expect(() => parse(['--probe', 'udp'])).toThrow(/Allowed choices are line, http, tcp/);
    expect(() => parse(['--identity', 'guess'])).toThrow(/Allowed choices are director, service, both/);
    expect(() => parse(['--identity-regex', '(unclosed'])).toThrow(/--identity-regex/);
    expect(() => parse(['--expect-status', 'ok'])).toThrow(/--expect-status/);
  });

  it('a lab hands over its HTTP service for --probe http, servers named by their header', () => {
    const line: LabInfo = JSON.parse(JSON.stringify(nft));
    const info: LabInfo = {
      ...line,
      engine: 'haproxy',
      driver: { kind: 'haproxy', socket: '/tmp/x/haproxy.sock', backend: 'lab' },
      http: {
        vip: { ...line.vip, port: 8080 },
        reals: line.reals.map((r) => ({ ...r, port: 8080 })),
        driver: { kind: 'haproxy', socket: '/tmp/x/haproxy.sock', backend: 'lab_http' },
        identityHeader: 'X-Served-By',
      },
    };
    expect(drainTestArgs(info, ['--probe', 'http'])).toEqual([
      'drain-test',
      '--vip',
      '198.18.0.2:8080',
      '--real',
      '198.18.0.11:8080=rs1',
      '--real',
      '198.18.0.12:8080=rs2',
      '--drain',
      'rs1',
      '--driver',
      'haproxy',
      '--haproxy-socket',
      '/tmp/x/haproxy.sock',
      '--haproxy-backend',
      'lab_http',
      '--identity-header',
      'X-Served-By',
      '--probe',
      'http',
    ]);
    expect(drainTestArgs(info, ['--probe=http', '--identity-regex', 'by (?<server>.*)'])).not.toContain(
      '--identity-header',
    );
    expect(drainTestArgs(info, ['--probe', 'tcp'])[2]).toBe('198.18.0.2:2100');
  });

  it('lists every driver kind as a --driver choice', () => {
    expect(() => parse(['--driver', 'nft'])).not.toThrow();
    expect(() => parse(['--driver', 'lvs'])).toThrow(
      /Allowed choices are ipvsadm, haproxy, nft, command, manual, builtin/,
    );
  });
});

describe('try: lines', () => {
  it('a namespace lab: the verifier runs through lab exec, under sudo when lab up ran under sudo', () => {
    const [drainTest, director] = tryLines(nft, { SUDO_USER: 'alice' });
    expect(drainTest).toMatch(
      /^sudo npx lvs-verify lab exec --engine nft -- npx lvs-verify drain-test --vip 198\.18\.0\.2:2100 --real 198\.18\.0\.11:2100=rs1 --real 198\.18\.0\.12:2100=rs2 --drain rs1 --driver nft /,
    );
    expect(director).toBe('sudo npx lvs-verify lab exec --engine nft --director -- nft list ruleset');
    expect(tryLines(nft, {})[0]).toMatch(/^npx lvs-verify lab exec --engine nft -- /);
  });

  it('a path with a space stays one word', () => {
    const ipvs: LabInfo = {
      ...nft,
      engine: 'ipvs',
      driver: { kind: 'ipvsadm', director: 'serial:/tmp/my labs/lab-ipvs/ctl.sock' },
    };
    expect(tryLines(ipvs, {})[0]).toContain(`--director 'serial:/tmp/my labs/lab-ipvs/ctl.sock'`);
  });
});
