/** drain-test against an nftables kernel load balancer (DNAT via a numgen map, conntrack, masquerade). */
import { describe } from 'vitest';
import { engineTests, useTestLab } from './support/lab-fixture.js';

const lab = useTestLab('nft');

describe('nft lab (nftables DNAT load balancer)', () => {
  engineTests(lab, {
    // conntrack re-balances a SYN that reuses a closed flow's ports: no source-port trap here.
    reusedSourcePort: 'pass',
    brokenDrains: [
      // Its restore removes the reject rule and puts rs1 back: only the old connections fail.
      { title: 'a drain that kills established flows (reset)', breakage: 'nft-kill-established', classes: ['reset'] },
    ],
  });
});
