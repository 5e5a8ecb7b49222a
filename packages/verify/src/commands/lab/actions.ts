import { formatHostPort } from '@lvs-drain-kit/common';
import { createLabControlTransport } from '@lvs-drain-kit/drivers';
import { UsageError } from '../../errors.js';
import { builtinLabAlive, readBuiltinLab, startBuiltinLab, stopBuiltinLab } from '../../lab/builtin.js';
import { isRealEngine, labDownEngine, labExecEngine, labStatusEngine, labUpEngine } from '../../lab-engines.js';

type Out = (line: string) => void;

export async function labUp(engine: string, out: Out): Promise<number> {
  if (isRealEngine(engine)) {
    await labUpEngine(engine, out);
    return 0;
  }
  const existing = await readBuiltinLab();
  if (existing && (await builtinLabAlive(existing)).some(Boolean)) {
    throw new UsageError(
      `a builtin lab is already up (VIP ${formatHostPort(existing.vip)}): \`lvs-verify lab down\` first`,
    );
  }
  const lab = await startBuiltinLab({ detached: true });
  out(
    `builtin lab up: VIP ${formatHostPort(lab.vip)}, ${lab.reals.map((r) => `${r.name} ${formatHostPort(r)}`).join(', ')}`,
  );
  out(`director control ${lab.driver.control} (pids ${lab.pids.join(' ')})`);
  out(
    `try: lvs-verify drain-test --vip ${formatHostPort(lab.vip)} ${lab.reals.map((r) => `--real ${formatHostPort(r)}=${r.name}`).join(' ')} --drain ${lab.reals[0]!.name} --driver builtin --control ${lab.driver.control}`,
  );
  return 0;
}

export async function labDown(engine: string, out: Out): Promise<number> {
  if (isRealEngine(engine)) {
    await labDownEngine(engine, out);
    return 0;
  }
  const n = await stopBuiltinLab();
  out(n > 0 ? `builtin lab down (${n} processes stopped)` : 'no builtin lab was up');
  return 0;
}

export async function labStatus(engine: string, out: Out): Promise<number> {
  if (isRealEngine(engine)) {
    await labStatusEngine(engine, out);
    return 0;
  }
  const lab = await readBuiltinLab();
  if (!lab) {
    out('builtin lab: down');
    return 0;
  }
  const alive = await builtinLabAlive(lab);
  out(`builtin lab: VIP ${formatHostPort(lab.vip)}, control ${lab.driver.control}`);
  lab.pids.forEach((pid, i) => {
    const what = lab.reals[i] ? `${lab.reals[i]!.name} ${formatHostPort(lab.reals[i]!)}` : 'director';
    out(`  ${what}: pid ${pid} ${alive[i] ? 'running' : 'gone'}`);
  });
  if (alive.at(-1)) {
    const r = await createLabControlTransport(lab.driver.control).run(['ipvsadm', '-L', '-n']);
    out(r.stdout.trimEnd());
  }
  return 0;
}

export async function labExec(engine: string, argv: string[]): Promise<number> {
  if (isRealEngine(engine)) return labExecEngine(engine, argv);
  throw new UsageError('the builtin lab has no client namespace: run commands directly on this host');
}

/** `lab ipvsadm -- ARGS`: an ipvsadm command line against the builtin lab director. */
export async function labIpvsadm(control: string | undefined, args: string[], out: Out, err: Out): Promise<number> {
  const where = control ?? (await readBuiltinLab())?.driver.control;
  if (!where) throw new UsageError('no builtin lab is up: `lvs-verify lab up` or give --control HOST:PORT');
  const r = await createLabControlTransport(where).run(['ipvsadm', ...args]);
  if (r.stdout) out(r.stdout.trimEnd());
  if (r.stderr) err(r.stderr.trimEnd());
  return r.exitCode;
}
