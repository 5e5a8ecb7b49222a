import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  LVS_VERIFY_BIN,
  type RunningVerify,
  runVerify,
  startVerify,
  tempDir,
  useBuiltinLab,
} from '@lvs-drain-kit/testkit';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The restore after a signal, with the real binary and the command driver (real /bin/sh commands that
 * drive the lab director through `lvs-verify lab ipvsadm`), so the restore can be held or made to fail.
 */
const env = useBuiltinLab();
/** Each run journals in a state dir of its own. */
let runState: Awaited<ReturnType<typeof tempDir>>;
let run: RunningVerify | undefined;
afterEach(async () => {
  // A test that failed half-way leaves neither a verifier running nor rs1 drained for the next one.
  if (run) {
    run.child.kill('SIGKILL');
    await run.done;
    run = undefined;
  }
  if ((await env.lab.weight(rs1())) !== 1) await env.lab.setWeight(rs1(), 1);
  await runState?.remove();
});

const rs1 = () => env.lab.reals.find((r) => r.name === 'rs1')!.address;
const setWeight = `'${process.execPath}' '${LVS_VERIFY_BIN}' lab ipvsadm --control {control} -- -e -t {vip}:{vport} -r {rip}:{rport} -w {weight}`;
const ipvsadm = () => setWeight.replace('{control}', env.lab.control);

function drainTest(restoreCmd: string): RunningVerify {
  run = startVerify(
    [
      'drain-test',
      '--vip',
      env.lab.vip,
      ...env.lab.reals.flatMap((r) => ['--real', `${r.address}=${r.name}`]),
      '--drain',
      'rs1',
      '--driver',
      'command',
      '--drain-cmd',
      ipvsadm(),
      '--restore-cmd',
      restoreCmd,
      '--restore-weight',
      '1',
      '--hold',
      '30s',
      '--interval',
      '100ms',
    ],
    runState.path,
  );
  return run;
}

describe('a signal during the run: the weight is put back first', () => {
  it('a second SIGINT while the weight is being put back is refused: the restore finishes, then exit 130', async () => {
    runState = await tempDir();
    const started = join(runState.path, 'restore-started');
    const release = join(runState.path, 'restore-may-finish');
    // The restore command says it started, then waits (at most 20 s) until the test lets it finish.
    const heldRestore = `touch '${started}'; i=0; while [ ! -e '${release}' ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; ${ipvsadm()}`;
    const verifier = drainTest(heldRestore);
    await verifier.waitForStderr('holding');
    expect(await env.lab.weight(rs1())).toBe(0);

    verifier.child.kill('SIGINT');
    await expect.poll(() => existsSync(started), { timeout: 20_000 }).toBe(true);
    const before = verifier.stderr().length;
    verifier.child.kill('SIGINT');
    await expect.poll(() => verifier.stderr().slice(before), { timeout: 10_000 }).toMatch(/again/);
    // Refused: the verifier is still there, and the server still drained, until the restore ends.
    expect(verifier.child.exitCode).toBeNull();
    expect(verifier.child.signalCode).toBeNull();
    expect(await env.lab.weight(rs1())).toBe(0);

    await writeFile(release, '');
    const r = await verifier.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toMatch(/PASS\s+restore/);
    expect(await env.lab.weight(rs1())).toBe(1);
    const undo = await runVerify(['undo'], runState.path);
    expect(undo.stdout).toContain('nothing to undo');
  });

  it('a restore that fails after SIGINT is exit 4, not 130, with the command to run by hand', async () => {
    runState = await tempDir();
    const verifier = drainTest('echo "director unreachable" >&2; exit 5');
    await verifier.waitForStderr('holding');
    verifier.child.kill('SIGINT');
    const r = await verifier.done;
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toContain('RESTORE FAILED');
    expect(r.stdout).toContain('Run by hand: echo "director unreachable" >&2; exit 5');
    expect(await env.lab.weight(rs1())).toBe(0);
    // The drain stays on the journal: `undo` tries it again (and fails the same way, exit 4).
    const undo = await runVerify(['undo'], runState.path);
    expect(undo.code, undo.stdout + undo.stderr).toBe(4);
    expect(undo.stdout + undo.stderr).toContain(rs1());
  });
});
