/** `lvs-verify maintain`: its options from the option and driver tables, its help, and its action. */
import { MAINTAIN_EXIT_HELP } from '../../errors.js';
import { MAINTAIN_OPTIONS } from '../../options/maintain.js';
import { defineCommand } from '../define.js';
import { DRIVERS_HELP } from '../help.js';

export const register = defineCommand({
  name: 'maintain',
  description:
    'rolling maintenance: every real server in turn drained, emptied, worked on, checked and put back, with live traffic proving no request failed',
  options: MAINTAIN_OPTIONS,
  sections: [
    [
      'Per server',
      [
        'capacity  re-read the director: the server has a weight, --min-serving others keep theirs',
        'drain     weight 0, read back; recorded on the journal first (`lvs-verify undo`)',
        "wait      until the director holds none of its connections (the sampler's own do not count)",
        'exec      the work (--exec), output kept for the report',
        'healthy   it answers directly, with its own name (else it stays drained: exit 4)',
        'restore   the original weight, only over the 0 this run set',
        'return    a new connection through the VIP reaches it again; then the next server',
        'All along: new connections at --rate and --long-lived ones through the VIP; any failed request',
        'fails the run and stops it before the next server.',
      ],
    ],
    DRIVERS_HELP,
    ['Durations', ['500ms, 5s, 2m or 1h']],
  ],
  examples: [
    '# every real server in turn: drain, wait until empty, restart it, healthy, back',
    'lvs-verify maintain --config cluster.yaml --exec "ssh root@{rip} systemctl restart rs-server"',
    '# one server (a fleet tool runs one per host), waiting at most 10 minutes for its clients',
    'lvs-verify maintain --config cluster.yaml --only rs1 --drain-timeout 10m --exec "ssh root@{rip} apt-get -y upgrade" --json',
  ],
  exitCodes: MAINTAIN_EXIT_HELP,
  catchesSignals: true,
  action: async (input) => (await import('./action.js')).maintainCommand(input),
});
