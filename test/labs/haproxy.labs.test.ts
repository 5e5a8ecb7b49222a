/** drain-test against HAProxy (Debian's package) in mode tcp, drained through its runtime API. */
import { describe } from 'vitest';
import { engineTests, useTestLab } from './support/lab-fixture.js';

const lab = useTestLab('haproxy');

describe('haproxy lab (HAProxy mode tcp, roundrobin)', () => {
  engineTests(lab, {
    reusedSourcePort: 'pass',
    brokenDrains: [
      {
        title: '`shutdown sessions server` on drain: old connections are closed',
        breakage: 'haproxy-shutdown-sessions',
        classes: ['closed', 'reset'],
      },
    ],
  });
});
