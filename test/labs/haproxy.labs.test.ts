import { formatHostPort } from '@lvs-drain-kit/common';
import { haproxyCommand } from '@lvs-drain-kit/lab';
import type { DrainReport } from '@lvs-drain-kit/verify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  check,
  drainInClient,
  QUICK_FLAGS,
  startTestLab,
  summary,
  type TestLab,
  verifyInClient,
} from './support/lab-fixture.js';

/** drain-test against HAProxy (Debian's package) in mode tcp, drained through its runtime API. */
let lab: TestLab;

function api(command: string): Promise<string> {
  if (lab.info.driver.kind !== 'haproxy') throw new Error('not a haproxy lab');
  return haproxyCommand(lab.info.driver.socket, command);
}

beforeAll(async () => {
  lab = await startTestLab('haproxy');
});

afterAll(async () => {
  await lab?.down();
});

afterEach(async () => {
  await api('set weight lab/rs1 1');
});

describe('haproxy lab (HAProxy mode tcp, roundrobin)', () => {
  it('passes a correct drain with the haproxy driver (the real lvs-verify binary)', async () => {
    if (lab.info.driver.kind !== 'haproxy') throw new Error('not a haproxy lab');
    const r = await verifyInClient(lab, [
      'drain-test',
      '--vip',
      formatHostPort(lab.info.vip),
      ...lab.info.reals.flatMap((x) => ['--real', `${formatHostPort(x)}=${x.name}`]),
      '--drain',
      'rs1',
      '--driver',
      'haproxy',
      '--haproxy-socket',
      lab.info.driver.socket,
      '--haproxy-backend',
      lab.info.driver.backend,
      '--json',
      ...QUICK_FLAGS,
    ]);
    const report = JSON.parse(r.stdout) as DrainReport;
    expect(r.code, summary(report) + r.stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(check(report, 'reused-source-port').status, summary(report)).toBe('pass');
    expect(await api('get weight lab/rs1')).toMatch(/^1 \(initial 1\)/);
  });

  it('catches `shutdown sessions server` on drain: old connections are closed', async () => {
    const report = await drainInClient(lab, lab.info.driver, { breakage: 'haproxy-shutdown-sessions' });
    const old = check(report, 'old-connections-survive');
    expect(old.status, summary(report)).toBe('fail');
    expect(old.failures.length).toBeGreaterThan(0);
    const classes = new Set(old.failures.map((f) => f.class));
    expect(
      [...classes].every((c) => c === 'closed' || c === 'reset'),
      [...classes].join(),
    ).toBe(true);
    expect(old.failures.every((f) => f.server === 'rs1')).toBe(true);
  });

  it('catches a restore that does nothing: new connections never return', async () => {
    const report = await drainInClient(lab, lab.info.driver, { breakage: 'restore-noop' });
    expect(check(report, 'old-connections-survive').status, summary(report)).toBe('pass');
    expect(check(report, 'new-connections-return').status, summary(report)).toBe('fail');
    expect(await api('get weight lab/rs1')).toMatch(/^0 /);
  });
});
