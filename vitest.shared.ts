import { fileURLToPath } from 'node:url';

/** Tests run on the sources of the workspace packages, so no rebuild is needed between an edit and a test run. */
export const alias = Object.fromEntries(
  ['common', 'drivers', 'server', 'client', 'verify', 'lab', 'testkit'].map((p) => [
    `@lvs-drain-kit/${p}`,
    fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url)),
  ]),
);
