import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const focusedOrSkipped = ['only', 'skip', 'todo', 'skipIf', 'runIf'].flatMap((m) =>
  ['it', 'test', 'describe', 'suite'].map((fn) => ({
    selector: `MemberExpression[object.name='${fn}'][property.name='${m}']`,
    message: `${fn}.${m} is not allowed: every test runs in CI (DEVELOPERS.md: honest tests).`,
  })),
);

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'bench-results/**', 'dist/**', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', ...focusedOrSkipped],
    },
  },
  {
    // The domain is pure (STYLE.md 3): no I/O, no clock, no randomness, no AWS SDK.
    files: ['events/**/*.ts'],
    ignores: ['events/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'crypto', 'net', 'http', 'https', 'dgram', 'child_process'], message: 'events/ is the pure domain: no I/O.' },
            { group: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', 'better-sqlite3', 'fastify', 'aedes', 'mqtt', 'coap'], message: 'events/ is the pure domain: no adapters.' },
            { group: ['../functions/*', '../infra/*', '../../functions/*', '../../infra/*'], message: 'events/ must not depend on outer layers.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'The domain never reads the clock: pass time in as a value.' },
        { object: 'Math', property: 'random', message: 'The domain never makes randomness: pass ids in as values.' },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'The domain never reads the environment.' }],
    },
  },
  {
    // Runtime code never imports infra/ (STYLE.md 2).
    files: ['functions/**/*.ts', 'schemas/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/infra/*'], message: 'Runtime code never imports infra/.' }] }],
    },
  },
);
