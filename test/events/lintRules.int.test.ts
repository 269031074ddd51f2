import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rules are part of the project's guarantees (DEVELOPERS.md: honest tests, pure domain):
// prove they fire, so a config change cannot silently switch them off.
const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });
const rulesHit = async (code: string, file: string) =>
  (await eslint.lintText(code, { filePath: file }))[0]!.messages.map((m) => m.ruleId);

describe('lint rules', () => {
  it('forbids focused and skipped tests', async () => {
    const code = ['describe', 'it', 'test'].flatMap((f) => ['only', 'skip', 'todo'].map((m) => `${f}.${m}('x', () => {});`)).join('\n');
    const hits = await rulesHit(`import { describe, it, test } from 'vitest';\n${code}\n`, 'test/events/alarms.unit.test.ts');
    expect(hits.filter((r) => r === 'no-restricted-syntax')).toHaveLength(9);
  });

  it('forbids floating promises', async () => {
    const hits = await rulesHit(`export const f = async () => 1;\nvoid 0;\nf();\n`, 'functions/shared/clock.ts');
    expect(hits).toContain('@typescript-eslint/no-floating-promises');
  });

  it('keeps the domain free of I/O, clock and randomness', async () => {
    const hits = await rulesHit(
      `import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\nexport const b = Date.now();\nexport const c = Math.random();\n`,
      'events/envelope.ts',
    );
    expect(hits).toEqual(expect.arrayContaining(['no-restricted-imports', 'no-restricted-properties']));
    expect(hits.filter((r) => r === 'no-restricted-properties')).toHaveLength(2);
  });
});
