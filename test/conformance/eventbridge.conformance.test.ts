import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePattern } from '../../functions/bus/patternMatcher.ts';

// Third-party vectors (Event Ruler's own tests and README, re-checked against its engine) are read in
// place from ../shared and never copied into the project (ARCHITECTURE.md, "Conformance data").
const file = path.resolve(import.meta.dirname, '../../../shared/conformance/eventbridge-patterns.json');

interface ConformanceCase {
  id: string;
  pattern: unknown;
  event: unknown;
  expected_match: boolean;
  tags?: string[];
}

const { cases } = JSON.parse(readFileSync(file, 'utf8')) as { cases: ConformanceCase[] };
let passed = 0;

describe('EventBridge pattern conformance (eventbridge-patterns.json)', () => {
  it('holds the 77 cases its notes describe', () => {
    expect(cases).toHaveLength(77);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    expect(compilePattern(c.pattern).matches(c.event)).toBe(c.expected_match);
    passed++;
  });

  afterAll(() => {
    console.log(`eventbridge-patterns.json: ${passed}/${cases.length} passed`);
  });
});
