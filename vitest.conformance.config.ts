import { defineConfig } from 'vitest/config';

// Third-party vectors are read in place from ../shared/conformance (never copied into the
// project). `npm run conformance` runs these suites; .ci/run runs it after `npm test`.
export default defineConfig({
  test: { include: ['test/conformance/**/*.conformance.test.ts'], testTimeout: 60_000 },
});
