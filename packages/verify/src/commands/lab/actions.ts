/** `lvs-verify lab up|down|status|exec|ipvsadm`: one code path for every engine, through @lvs-drain-kit/lab. */
import { createLabControlTransport } from '@lvs-drain-kit/drivers';
import type { LabEngine } from '@lvs-drain-kit/lab';
import { type LabSetup, labDownEngine, labExecEngine, labStatusEngine, labUpEngine } from '../../lab-engines.js';

type Out = (line: string) => void;

export async function labUp(engine: LabEngine, out: Out, setup: LabSetup = {}): Promise<number> {
  await labUpEngine(engine, out, setup);
  return 0;
}

export async function labDown(engine: LabEngine, out: Out): Promise<number> {
  await labDownEngine(engine, out);
  return 0;
}

export async function labStatus(engine: LabEngine, out: Out): Promise<number> {
  await labStatusEngine(engine, out);
  return 0;
}

/** `lab exec [--director] -- CMD`; resolves with CMD's exit code. */
export function labExec(engine: LabEngine, argv: string[], director: boolean, out: Out, err: Out): Promise<number> {
  return labExecEngine(engine, argv, { director }, { out: (t) => out(t.trimEnd()), err: (t) => err(t.trimEnd()) });
}

/** `lab ipvsadm -- ARGS`: `lab exec --director -- ipvsadm ARGS`, or against a given builtin control port. */
export async function labIpvsadm(
  engine: LabEngine,
  control: string | undefined,
  args: string[],
  out: Out,
  err: Out,
): Promise<number> {
  if (!control) return labExec(engine, ['ipvsadm', ...args], true, out, err);
  const r = await createLabControlTransport(control).run(['ipvsadm', ...args]);
  if (r.stdout) out(r.stdout.trimEnd());
  if (r.stderr) err(r.stderr.trimEnd());
  return r.exitCode;
}
