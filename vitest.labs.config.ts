import { defineConfig } from 'vitest/config';
import { alias } from './vitest.shared.js';

/** Tests that need root and real engines (IPVS in qemu, nftables, HAProxy): `npm run test:labs`. */
export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.labs.test.ts', 'test/**/*.labs.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Labs share namespaces names, bridges and a VM: one file at a time.
    fileParallelism: false,
  },
});
