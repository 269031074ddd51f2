import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROJECTION_TABLES } from '../../functions/projections/projectionTableDesign.ts';
import { LAMBDA_ENV, requiredEnv } from '../../functions/lambda/env.ts';
import { HANDLERS, handlerEntryPath, type HandlerName } from '../../infra/cdk/handlers.ts';
import { BOOTSTRAP_LAMBDA_ENV } from '../../functions/lambda/awsBootstrapEnv.ts';
import { BOOTSTRAP_WORKFLOW, DEPROVISIONING_WORKFLOW, PROVISIONING_WORKFLOW } from '../../infra/cdk/workflows.ts';

const names = Object.keys(HANDLERS) as HandlerName[];

/** The exports each entry must have: `handler`, or one per task for a workflow's entry. */
const exportsOf = (name: HandlerName): string[] => {
  const workflow = [PROVISIONING_WORKFLOW, DEPROVISIONING_WORKFLOW, BOOTSTRAP_WORKFLOW].find((w) => w.handler === name);
  return workflow ? [...new Set(Object.values(workflow.functions))] : ['handler'];
};

describe('handler registry', () => {
  it('points every handler at an entry file under functions/lambda that exports what the CDK app calls', async () => {
    // Entry files read their config at module scope; values only, no AWS call happens on import.
    for (const variable of Object.values(LAMBDA_ENV)) process.env[variable] ??= `registry-test-${variable.toLowerCase().replace(/_/g, '-')}`;
    process.env[LAMBDA_ENV.awsAccountId] = '123456789012';
    process.env[LAMBDA_ENV.awsPartition] = 'aws';
    process.env.AWS_REGION ??= 'eu-west-1';
    process.env[LAMBDA_ENV.userPoolId] = 'eu-west-1_Registry01';
    // The API reads a JSON map of the rebuild functions, one per projection table.
    process.env[LAMBDA_ENV.rebuildFunctions] = JSON.stringify(
      Object.fromEntries(Object.keys(PROJECTION_TABLES).map((t) => [t, { functionName: `registry-test-rebuild-${t}`, logGroup: `/aws/lambda/registry-test-rebuild-${t}` }])),
    );
    process.env[BOOTSTRAP_LAMBDA_ENV.bootstrapStateMachineArn] = 'arn:aws:states:eu-west-1:123456789012:stateMachine:registry-test';
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const name of names) {
      const path = handlerEntryPath(name);
      expect(HANDLERS[name].entry.startsWith('functions/lambda/')).toBe(true);
      expect(existsSync(path)).toBe(true);
      const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
      for (const exported of exportsOf(name)) expect({ name, exported, type: typeof module[exported] }).toEqual({ name, exported, type: 'function' });
    }
  });

  it('fails a cold start that lacks a variable with a message that names it', () => {
    expect(() => requiredEnv('FLEET_NOT_SET', {})).toThrow(/FLEET_NOT_SET is not set: the CDK app \(infra\/cdk\) sets it/);
    expect(() => requiredEnv('BLANK', { BLANK: ' ' })).toThrow(/BLANK is not set/);
    expect(requiredEnv('SET', { SET: 'table-1' })).toBe('table-1');
  });
});
