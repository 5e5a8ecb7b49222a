/** `lvs-verify drain-test`: its options from the option and driver tables, its help, and its action. */
import { EXIT_HELP } from '../../errors.js';
import { DRAIN_TEST_OPTIONS } from '../../options/drain-test.js';
import { defineCommand } from '../define.js';
import { DRIVERS_HELP } from '../help.js';

export const register = defineCommand({
  name: 'drain-test',
  description: 'drain one real server through its director and check old connections survive and new ones go elsewhere',
  options: DRAIN_TEST_OPTIONS,
  sections: [
    DRIVERS_HELP,
    [
      'Durations and shares',
      [
        '500ms, 5s, 2m or 1h; a bare number is refused (did you mean 5s?); 0 needs no unit',
        '--max-leak takes a percentage with its sign: 5%, 0.5%',
      ],
    ],
  ],
  examples: [
    '# zero setup: two rs-servers behind the builtin userspace director on loopback',
    'lvs-verify drain-test --lab',
    '# a classic LVS-DR cluster, ipvsadm run on the director over ssh',
    'lvs-verify drain-test --vip 172.16.0.113:2100 \\',
    '    --real 172.16.0.114:2100 --real 172.16.0.115:2100 --drain 172.16.0.114:2100 \\',
    '    --driver ipvsadm --director ssh://root@172.16.0.113',
    '# the same from a cluster file, holding the old connections for 30 seconds',
    'lvs-verify drain-test --config cluster.yaml --hold 30s',
    '# a director keepalived runs: the weight in its keepalived.conf, --config-test, reload',
    '#   (or its track_file: --keepalived-track-file drain_rs1)',
    'lvs-verify drain-test --vip 172.16.0.113:2100 \\',
    '    --real 172.16.0.114:2100 --real 172.16.0.115:2100 --drain 172.16.0.114:2100 \\',
    '    --driver keepalived --director ssh://root@172.16.0.113',
  ],
  exitCodes: EXIT_HELP,
  catchesSignals: true,
  async action({ flags, given, driverFlags, io }) {
    // The run's modules load only for a run: start-up time matters for a tool run in loops and tests.
    const { drainTestCommand } = await import('./action.js');
    const raw = process.argv;
    return drainTestCommand({ flags, given, driverFlags, rawArgs: raw.slice(raw.indexOf('drain-test') + 1) }, io);
  },
});
