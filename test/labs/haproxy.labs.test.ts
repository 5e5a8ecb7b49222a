/** drain-test against HAProxy (Debian's package) in mode tcp, drained through its runtime API. */
import { haproxyCommand } from '@lvs-drain-kit/drivers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  check,
  drainInClient,
  expectOldConnectionsBroken,
  expectRestoreIgnored,
  summary,
  useTestLab,
  verifyDrainTest,
} from './support/lab-fixture.js';

const lab = useTestLab('haproxy');

function api(command: string): Promise<string> {
  const { driver } = lab().info;
  if (driver.kind !== 'haproxy') throw new Error('not a haproxy lab');
  return haproxyCommand(driver.socket, command);
}

afterEach(async () => {
  await api('set weight lab/rs1 1');
});

describe('haproxy lab (HAProxy mode tcp, roundrobin)', () => {
  it('passes a correct drain with the haproxy driver (the real lvs-verify binary)', async () => {
    const { code, report, stderr } = await verifyDrainTest(lab());
    expect(code, summary(report) + stderr).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(check(report, 'reused-source-port').status, summary(report)).toBe('pass');
    expect(await api('get weight lab/rs1')).toMatch(/^1 \(initial 1\)/);
  });

  it('catches `shutdown sessions server` on drain: old connections are closed', async () => {
    const report = await drainInClient(lab(), lab().info.driver, { breakage: 'haproxy-shutdown-sessions' });
    expectOldConnectionsBroken(report, ['closed', 'reset']);
  });

  it('catches a restore that does nothing: new connections, still answered, never return to rs1', async () => {
    const report = await drainInClient(lab(), lab().info.driver, { breakage: 'restore-noop' });
    expectRestoreIgnored(report);
    expect(await api('get weight lab/rs1')).toMatch(/^0 /);
  });
});
