import { defineConfig } from 'vitest/config';
import { alias } from './vitest.shared.js';

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.labs.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: end-to-end tests spawn servers; too many files at once only makes them time out.
    maxWorkers: 2,
    // Likewise `it.concurrent` runs (each a verifier, a director and servers): two at a time.
    maxConcurrency: 2,
  },
});
