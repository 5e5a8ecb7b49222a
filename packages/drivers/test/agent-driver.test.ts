import { connect } from 'node:net';
import { join } from 'node:path';
import type { CommandTransport } from '@lvs-drain-kit/common';
import { freePort, type SpawnedServer, spawnRsServer, tempDir } from '@lvs-drain-kit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentDriver } from '../src/drivers/agent.js';
import { DriverError } from '../src/errors.js';
import { createDriver } from '../src/registry.js';
import type { DrainDriver } from '../src/types.js';

const service = { vip: { host: '198.18.0.100', port: 2100 } };
const real = { host: '198.18.0.2', port: 2100 };

/** A stand-in for HAProxy's agent-check: reads the agent's line every 50 ms until stopped. */
function agentChecker(port: number): { answers: string[]; stop(): void } {
  const answers: string[] = [];
  let stopped = false;
  const once = () => {
    if (stopped) return;
    const s = connect({ port, host: '127.0.0.1' });
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (got) answers.push(got.trim());
      setTimeout(once, 50);
    });
  };
  once();
  return {
    answers,
    stop: () => {
      stopped = true;
    },
  };
}

/** Drives a real rs-server's drain state through its control socket, as drain-test does. */
describe('agent driver (a real rs-server)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let rs: SpawnedServer;
  let driver: DrainDriver;
  let ctl: string;
  let checker: ReturnType<typeof agentChecker>;

  beforeAll(async () => {
    dir = await tempDir('agent-driver-');
    ctl = join(dir.path, 'ctl.sock');
    const agentPort = await freePort();
    rs = await spawnRsServer(['--name', 'rs1', '--ctl', ctl, '--agent-port', String(agentPort)]);
    checker = agentChecker(agentPort);
    driver = await createDriver({ kind: 'agent', ctl, waitMs: 5_000 });
  });
  afterAll(async () => {
    checker?.stop();
    await rs?.stop(1000);
    await dir?.remove();
  });

  it('reads 100 while ready, sets 0 by draining and back by ready, each change logged by the server', async () => {
    expect(await driver.getWeight(service, real)).toBe(100);
    await driver.setWeight(service, real, 0);
    // setWeight returned once a health check had seen the drain.
    expect(checker.answers.at(-1)).toBe('up drain');
    expect(await driver.getWeight(service, real)).toBe(0);
    await rs.waitForRecord((r) => r.msg === 'state: drain' && r.by === 'ctl');
    await driver.setWeight(service, real, 100);
    expect(await driver.getWeight(service, real)).toBe(100);
    await rs.waitForRecord((r) => r.msg === 'state: ready' && r.by === 'ctl');
    // 100 is what the server asked for already: no weight is advertised where none was.
    expect(rs.records.some((r) => r.msg === 'control request' && r.request === 'weight 100')).toBe(false);
  });

  it('puts back an advertised percentage; refuses one HAProxy would not take', async () => {
    await driver.setWeight(service, real, 50);
    expect(await driver.getWeight(service, real)).toBe(50);
    await driver.setWeight(service, real, 0);
    expect(await driver.getWeight(service, real)).toBe(0);
    await driver.setWeight(service, real, 50);
    expect(await driver.getWeight(service, real)).toBe(50);
    await expect(driver.setWeight(service, real, 300)).rejects.toThrow(/percentage of the configured weight \(1-256\)/);
  });

  it('a drain no health check sees in time is a DriverError: the director does not follow the agent', async () => {
    checker.stop();
    const impatient = await createDriver({ kind: 'agent', ctl, waitMs: 300 });
    await expect(impatient.setWeight(service, real, 0)).rejects.toThrow(
      /no health check asked .*ctl\.sock for its state within 300 ms of the drain/,
    );
    await impatient.setWeight(service, real, 100); // not seen either, and not an error: the run's checks judge
    expect(await impatient.getWeight(service, real)).toBe(100);
  });

  it('says what a person would run, here and over ssh', () => {
    expect(driver.manualCommand(service, real, 0)).toBe(`rs-server ctl drain --ctl ${ctl}`);
    expect(driver.manualCommand(service, real, 100)).toBe(`rs-server ctl ready --ctl ${ctl}`);
    const ssh: CommandTransport = {
      description: 'ssh root@rs1',
      run: async () => ({ stdout: '', stderr: '', exitCode: 0 }),
    };
    const remote = createAgentDriver({ ctl: '/run/rs-server/ctl.sock', transport: ssh, rsServer: ['rs-server'] });
    expect(remote.manualCommand(service, real, 0)).toBe(
      "ssh root@rs1 'rs-server ctl drain --ctl /run/rs-server/ctl.sock'",
    );
  });

  it('a control socket nobody answers is a DriverError naming it', async () => {
    const gone = await createDriver({ kind: 'agent', ctl: join(dir.path, 'nobody.sock') });
    const err = await gone.getWeight(service, real).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect((err as Error).message).toMatch(/rs-server ctl status on .*nobody\.sock: control socket .*ENOENT/);
  });
});
