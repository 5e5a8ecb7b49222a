import { createDirectorTransport } from '@lvs-drain-kit/drivers';
import { labDown, labUp } from '@lvs-drain-kit/lab';

const stateDir = `/tmp/h12/state-ipvs`;
try {
  const info = await labUp({ engine: 'ipvs', stateDir });
  const t = await createDirectorTransport((info.driver as any).director);
  for (const argv of [
    ['ipvsadm', '-L', '-n'],
    ['ipvsadm', '-L', '-n', '-c'],
    ['cat', '/proc/net/ip_vs_conn'],
    ['true'],
    ['ipvsadm', '-L', '-n', '-c'],
  ]) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await t.run(argv);
      times.push(Math.round(performance.now() - t0));
    }
    console.log(argv.join(' '), times);
  }
} finally {
  await labDown({ stateDir });
}
