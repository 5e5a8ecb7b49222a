/** IPVS in Direct Routing mode, in a stock Debian kernel booted under qemu (software emulation). */
import { LabError } from '../errors.js';
import { directorVm, serialDirector, vmDetails, vmServices } from './director-vm.js';
import type { DirectorEngine } from './engine.js';

const vm = directorVm();

export const ipvsEngine: DirectorEngine = {
  ...vm.common,
  description: 'IPVS in Direct Routing mode, in a Debian kernel under qemu (root)',
  options: ['persistent', 'schedulerFlags'],

  async start(ctx) {
    const { plan, stateDir } = ctx;
    const booted = await vm.boot(ctx);
    const { persistent, schedulerFlags } = ctx.options;
    const script = vmServices(plan)
      .flatMap(({ vip: { host, port }, reals }) => {
        const vip = `${host}:${port}`;
        const service = [
          `-A -t ${vip} -s ${plan.scheduler}`,
          ...(schedulerFlags?.length ? [`-b ${schedulerFlags.join(',')}`] : []),
          ...(persistent !== undefined ? [`-p ${persistent}`] : []),
        ].join(' ');
        return [`ipvsadm ${service}`, ...reals.map((r) => `ipvsadm -a -t ${vip} -r ${r.host}:${r.port} -g -w 1`)];
      })
      .join(' && ');
    const result = await booted.transport.run(['sh', '-c', script]);
    if (result.exitCode !== 0) throw new LabError(`ipvsadm setup failed in the director VM: ${result.stdout.trim()}`);
    return {
      driver: { kind: 'ipvsadm', director: serialDirector(stateDir) },
      details: vmDetails(plan, booted),
    };
  },

  describe: ({ stateDir }) => vm.ask(stateDir, ['ipvsadm', '-Ln']),
  exampleCommand: ['ipvsadm', '-L', '-n'],
};
