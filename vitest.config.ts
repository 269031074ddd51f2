import { defineConfig } from 'vitest/config';

// Test level is in the file name (STYLE.md 10): *.unit.test.ts are pure and fast,
// *.int.test.ts use real local servers (SQLite files, dynalite, TLS, UDP), *.e2e.test.ts
// drive the whole embedded system through its public interfaces.
export default defineConfig({
  test: {
    projects: [
      // Unit tests are pure but some are big (a 100,000-row manifest): a loaded CI machine needs headroom.
      { extends: true, test: { name: 'unit', include: ['**/*.unit.test.ts'], exclude: ['node_modules/**'], testTimeout: 30_000 } },
      {
        extends: true,
        test: { name: 'int', include: ['**/*.int.test.ts'], exclude: ['node_modules/**'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['**/*.e2e.test.ts'], exclude: ['node_modules/**'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
    ],
  },
});
