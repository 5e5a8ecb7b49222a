import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LabEngine, labDown } from '@lvs-drain-kit/lab';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `lvs-verify lab up|exec|down` on each real engine, through the real binary: the `try:` lines `lab up`
 * prints run as printed from the repository, and `lab exec --director` reaches each kind of director.
 */
const BIN = fileURLToPath(new URL('../bin/lvs-verify.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

let base: string;
const env = () => ({ LVS_DRAIN_KIT_LAB_STATE: base, XDG_STATE_HOME: base, NO_COLOR: '1', SUDO_USER: '' });
const verify = (args: string[]) =>
  execa(process.execPath, [BIN, ...args], { reject: false, timeout: 120_000, env: env(), cwd: REPO });
const shell = (line: string) => execa('sh', ['-c', line], { reject: false, timeout: 120_000, env: env(), cwd: REPO });

beforeAll(async () => {
  base = await mkdtemp('/tmp/ldk-lab-command-labs-');
});
afterAll(async () => {
  for (const engine of ['ipvs', 'keepalived', 'nft', 'haproxy'])
    await labDown({ stateDir: join(base, `lab-${engine}`) });
  await rm(base, { recursive: true, force: true });
});

/** What each director shows for the example command `lab up` prints, and a command only it can answer. */
const DIRECTORS: Record<Exclude<LabEngine, 'builtin'>, { example: RegExp; own: string[]; ownOutput: RegExp }> = {
  ipvs: {
    example: /^TCP {2}198\.18\.0\.100:2100 wrr$/m,
    own: ['sysctl', 'net.ipv4.vs.conn_reuse_mode'],
    ownOutput: /^net\.ipv4\.vs\.conn_reuse_mode = 1$/m,
  },
  keepalived: {
    example: /^TCP {2}198\.18\.0\.100:2100 wrr$/m,
    own: ['sh', '-c', 'keepalived --version 2>&1 | head -n 1; cat /run/keepalived.pid'],
    ownOutput: /^Keepalived v2\.\d+\.\d+ .*\n\d+$/m,
  },
  nft: {
    example: /^table ip ldk_lb \{$/m,
    own: ['nft', 'list', 'map', 'ip', 'ldk_lb', 'backends'],
    ownOutput: /198\.18\.0\.11/,
  },
  haproxy: {
    example: /LISTEN.*198\.18\.0\.2:2100/,
    own: ['ip', '-br', '-4', 'addr', 'show', 'eth0'],
    ownOutput: /198\.18\.0\.2\/24/,
  },
};

describe.each(['nft', 'haproxy', 'ipvs', 'keepalived'] as const)('lvs-verify lab (%s)', (engine) => {
  it('the try: lines run as printed; lab exec --director runs on the director; down', async () => {
    const up = await verify(['lab', 'up', '--engine', engine]);
    expect(up.exitCode, up.stderr).toBe(0);
    try {
      const tries = up.stdout
        .split('\n')
        .filter((l) => l.startsWith('try: '))
        .map((l) => l.slice(5));
      expect(tries).toHaveLength(3);
      expect(tries[0]).toMatch(
        new RegExp(`^npx lvs-verify lab exec --engine ${engine} -- npx lvs-verify drain-test --vip `),
      );
      const drainTest = await shell(tries[0]!);
      expect(drainTest.exitCode, drainTest.stdout + drainTest.stderr).toBe(0);
      expect(drainTest.stdout).toMatch(/verdict\s+PASS/);
      const example = await shell(tries[1]!);
      expect(example.exitCode, example.stderr).toBe(0);
      expect(example.stdout).toMatch(DIRECTORS[engine].example);
      // The lab's HTTP service (nginx on every real server), drained through the same director.
      expect(tries[2]).toMatch(/drain-test --vip 198\.18\.0\.\d+:8080 .* --probe http$/);
      const http = await shell(tries[2]!);
      expect(http.exitCode, http.stdout + http.stderr).toBe(0);
      expect(http.stdout).toMatch(/verdict\s+PASS/);
      expect(http.stdout).toMatch(/identity-agrees\s+the director's table and the answers named the same server/);

      const own = await verify(['lab', 'exec', '--engine', engine, '--director', '--', ...DIRECTORS[engine].own]);
      expect(own.exitCode, own.stderr).toBe(0);
      expect(own.stdout).toMatch(DIRECTORS[engine].ownOutput);
      // The command's exit code and stderr come back, whatever the channel.
      const failing = await verify([
        'lab',
        'exec',
        '--engine',
        engine,
        '--director',
        '--',
        'sh',
        '-c',
        'echo no >&2; exit 5',
      ]);
      expect(failing.exitCode).toBe(5);
      expect(failing.stderr).toContain('no');
      if (engine === 'ipvs' || engine === 'keepalived') {
        const list = await verify(['lab', 'exec', '--engine', engine, '--director', '--', 'ipvsadm', '-Ln']);
        expect(list.stdout).toMatch(/^ {2}-> 198\.18\.0\.11:2100\s+Route\s+1/m);
        // `lab ipvsadm` is `lab exec --director -- ipvsadm`.
        expect((await verify(['lab', 'ipvsadm', '--engine', engine, '--', '-Ln'])).stdout).toBe(list.stdout);
      }
      // Without --director: the client namespace.
      const client = await verify(['lab', 'exec', '--engine', engine, '--', 'ip', '-br', '-4', 'addr', 'show', 'eth0']);
      expect(client.stdout).toContain('198.18.0.10/24');
    } finally {
      const down = await verify(['lab', 'down', '--engine', engine]);
      expect(down.stdout).toMatch(new RegExp(`^${engine} lab down: stopped .*rs1 \\(pid \\d+\\)`, 'm'));
    }
  });
});
