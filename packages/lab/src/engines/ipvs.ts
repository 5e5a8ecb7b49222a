/** IPVS in Direct Routing mode, in a stock Debian kernel booted under qemu (software emulation). */
import { LabError } from '../errors.js';
import { directorVm, serialDirector } from './director-vm.js';
import type { DirectorEngine } from './engine.js';

const vm = directorVm();

export const ipvsEngine: DirectorEngine = {
  ...vm.common,
  description: 'IPVS in Direct Routing mode, in a Debian kernel under qemu (root)',
  options: ['persistent', 'schedulerFlags'],

  async start(ctx) {
    const { plan, stateDir } = ctx;
    const { transport, kernelRelease, pid } = await vm.boot(ctx);
    const { persistent, schedulerFlags } = ctx.options;
    // The line service, and the HTTP service of the same real servers on its own port.
    const services = [plan.vip.port, ...(plan.httpPort !== undefined ? [plan.httpPort] : [])];
    const script = services
      .flatMap((port) => {
        const vip = `${plan.vip.host}:${port}`;
        const service = [
          `-A -t ${vip} -s ${plan.scheduler}`,
          ...(schedulerFlags?.length ? [`-b ${schedulerFlags.join(',')}`] : []),
          ...(persistent !== undefined ? [`-p ${persistent}`] : []),
        ].join(' ');
        return [
          `ipvsadm ${service}`,
          ...plan.reals.map(
            (r) => `ipvsadm -a -t ${vip} -r ${r.host}:${port === plan.vip.port ? r.port : port} -g -w 1`,
          ),
        ];
      })
      .join(' && ');
    const result = await transport.run(['sh', '-c', script]);
    if (result.exitCode !== 0) throw new LabError(`ipvsadm setup failed in the director VM: ${result.stdout.trim()}`);
    return {
      driver: { kind: 'ipvsadm', director: serialDirector(stateDir) },
      details: {
        directorHost: plan.directorHost,
        vmKernel: kernelRelease,
        vmPid: String(pid),
        forwarding: 'direct routing',
      },
    };
  },

  describe: ({ stateDir }) => vm.ask(stateDir, ['ipvsadm', '-Ln']),
  exampleCommand: ['ipvsadm', '-L', '-n'],
};
