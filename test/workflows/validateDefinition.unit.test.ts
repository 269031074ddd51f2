import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateDefinition, validateWorkflowFile } from '../../functions/workflows/validateDefinition.ts';

const root = join(import.meta.dirname, '../..');
const fixtures = join(import.meta.dirname, 'fixtures');

/** workflows/<name>/<name>.asl.json: the files CDK deploys and the embedded runtime runs. */
const workflowFiles = (): string[] => {
  const dir = join(root, 'workflows');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => readdirSync(join(dir, entry.name)).filter((f) => f.endsWith('.asl.json')).map((f) => join(dir, entry.name, f)));
};

const fixtureFiles = readdirSync(fixtures)
  .filter((f) => f.endsWith('.asl.json'))
  .map((f) => join(fixtures, f));

describe('validateDefinition', () => {
  it('passes every workflow file and every runnable fixture, placeholders and all', () => {
    const files = [...workflowFiles(), ...fixtureFiles];
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(5);
    const failures = files.map((file) => validateWorkflowFile(file)).filter((result) => !result.valid);
    expect(failures.flatMap((f) => f.errors)).toEqual([]);
  });

  it.each([
    ['jsonata', /QueryLanguage: JSONata is ignored by the local runner; write the workflow in JSONPath/u],
    ['assign', /States\.Remember: Assign \(workflow variables\) is ignored/u],
    ['distributedMap', /States\.ReadManifest: Distributed Map \(Mode DISTRIBUTED, ItemReader\) is not supported/u],
    ['waitForTaskToken', /the callback pattern \(\.waitForTaskToken\) is not supported/u],
    ['waitForTaskToken', /context object field \$\$\.Task\.Token is not provided/u],
    ['sdkIntegration', /"arn:aws:states:::dynamodb:putItem": the local runner runs Lambda tasks only/u],
    ['catchPlainError', /Catch matches "Error".*match States\.TaskFailed/u],
    ['missingTarget', /MISSING_TRANSITION_TARGET: Missing 'StartAt'\|'Next'\|'Default' target: Second/u],
  ])('refuses %s with an error that says what to do: %s', (name, expected) => {
    const file = join(fixtures, 'unsupported', `${name}.asl.json`);
    const result = validateWorkflowFile(file);
    expect(result.valid).toBe(false);
    expect(result.errors.some((e) => e.startsWith(file) && expected.test(e))).toBe(true);
  });

  it('checks JSONPaths and ARNs with the validator aws-local-stepfunctions uses', () => {
    const badPath = validateDefinition({ StartAt: 'A', States: { A: { Type: 'Pass', InputPath: 'not a path', End: true } } });
    expect(badPath.valid).toBe(false);
    expect(badPath.errors.join('\n')).toMatch(/SCHEMA_VALIDATION_FAILED/u);
    const badArn = validateDefinition({ StartAt: 'A', States: { A: { Type: 'Task', Resource: 'createThing', End: true } } });
    expect(badArn.valid).toBe(false);
  });

  it('reports a file that is missing or not JSON instead of throwing', () => {
    const missing = validateWorkflowFile(join(fixtures, 'no-such.asl.json'));
    expect(missing).toEqual({ valid: false, errors: [expect.stringMatching(/cannot read the workflow file .*no-such\.asl\.json/u)] });
    expect(validateDefinition([1, 2])).toEqual({ valid: false, errors: ['an ASL definition is a JSON object with StartAt and States'] });
  });
});
