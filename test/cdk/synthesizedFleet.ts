import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { buildApp } from '../../infra/cdk/app.ts';
import type { FleetStack } from '../../infra/cdk/stacks/fleetStack.ts';
import { asList, type Statement } from './templateValues.ts';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
}

export interface SynthesizedFleet {
  readonly app: App;
  readonly stack: FleetStack;
  readonly template: Template;
  readonly resources: Record<string, CfnResource>;
  /** Where the cloud assembly (and its assets) was written. */
  readonly outdir: string;
  ofType(type: string): [string, CfnResource][];
  logicalId(construct: { node: { defaultChild?: unknown } }): string;
  /** Every statement of the policies attached to a role (inline and its default policy). */
  statementsOf(role: iam.Role): Statement[];
  remove(): void;
}

/**
 * Synthesizes the real app (Lambdas bundled by the local esbuild, cdk-nag registered) into a
 * temporary folder and offers the lookups the CDK tests share. CDK's built-in CloudFormation
 * schema validation is left out here (6-10 s per synth on a busy machine); fleetStack.int.test.ts
 * synthesizes with it, exactly as `npm run synth` does.
 */
export const synthesizeFleet = (): SynthesizedFleet => {
  process.env.CDK_VALIDATION = 'false';
  const outdir = mkdtempSync(join(tmpdir(), 'fleet-cdk-'));
  const { app, stack } = buildApp({ outdir });
  const template = Template.fromStack(stack);
  const resources = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  return {
    app,
    stack,
    template,
    resources,
    outdir,
    ofType: (type) => Object.entries(resources).filter(([, r]) => r.Type === type),
    logicalId,
    statementsOf(role) {
      const roleId = stack.getLogicalId(role.node.defaultChild as never);
      const out: Statement[] = [];
      for (const r of Object.values(resources)) {
        if (r.Type !== 'AWS::IAM::Policy') continue;
        const roles = asList(r.Properties!.Roles as unknown[]);
        if (!roles.some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }))) continue;
        out.push(...asList((r.Properties!.PolicyDocument as { Statement: Statement | Statement[] }).Statement));
      }
      for (const p of asList(resources[roleId]?.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined)) {
        out.push(...asList(p.PolicyDocument.Statement));
      }
      return out;
    },
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
};

/** The actions a list of statements allows, flattened. */
export const allowedActions = (statements: readonly Statement[]): string[] =>
  [...new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asList(s.Action)))].sort();
