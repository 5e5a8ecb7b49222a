import { join } from 'node:path';
import { type LabInfo, readLabInfo } from '@lvs-drain-kit/lab';
import { LVS_VERIFY_BIN, runVerify, TmuxPane, tempDir } from '@lvs-drain-kit/testkit';
import { createDriver } from '@lvs-drain-kit/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type LabState = LabInfo & { driver: { kind: 'builtin' } };

let state: Awaited<ReturnType<typeof tempDir>>;
let lab: LabState;
let pane: TmuxPane | undefined;

beforeAll(async () => {
  state = await tempDir();
  const up = await runVerify(['lab', 'up'], state.path);
  expect(up.code, up.stderr).toBe(0);
  lab = (await readLabInfo({ stateDir: join(state.path, 'lvs-drain-kit', 'lab-builtin') })) as LabState;
});

afterAll(async () => {
  await pane?.kill();
  if (state) {
    await runVerify(['lab', 'down'], state.path);
    await state.remove();
  }
});

describe('manual driver in a real terminal', () => {
  it('prints the ipvsadm driver’s own argv (read from the director), waits for Enter, and the operator’s change is what gets tested', async () => {
    const vip = `${lab.vip.host}:${lab.vip.port}`;
    const rs1 = `${lab.reals[0]!.host}:${lab.reals[0]!.port}`;
    const reals = lab.reals.map((r) => `--real ${r.host}:${r.port}=${r.name}`).join(' ');
    pane = await TmuxPane.start(
      `XDG_STATE_HOME=${state.path} ${process.execPath} ${LVS_VERIFY_BIN} drain-test --vip ${vip} ${reals} --drain rs1 --driver manual --director builtin:${lab.driver.control} --hold 500ms --interval 100ms`,
    );
    const operator = async (weight: number) => {
      // What the operator types on the director (the printed argv), here through the lab's ipvsadm front end.
      const argv = ['-e', '-t', vip, '-r', rs1, '-g', '-w', String(weight)];
      const r = await runVerify(['lab', 'ipvsadm', '--control', lab.driver.control, '--', ...argv], state.path);
      expect(r.code).toBe(0);
      await pane!.keys('Enter');
    };
    // The forwarding method is repeated, as the ipvsadm driver would: -e alone would reset it.
    await pane.waitFor(`ipvsadm -e -t ${vip} -r ${rs1} -g -w 0`);
    await operator(0);
    await pane.waitFor(`ipvsadm -e -t ${vip} -r ${rs1} -g -w 1`, 15_000);
    await operator(1);
    const screen = await pane.waitFor('EXIT=', 15_000);
    expect(screen).toContain('EXIT=0');
    expect(screen).toMatch(/PASS\s+old-connections-survive/);
    expect(screen).toMatch(/verdict\s+PASS/);
    // A terminal gets colours.
    expect(await pane.captureWithEscapes()).toContain('\u001b[');
    const driver = await createDriver({ kind: 'builtin', control: lab.driver.control });
    expect(await driver.getWeight({ vip: lab.vip }, lab.reals[0]!)).toBe(1);
  });
});
