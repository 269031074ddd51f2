import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
// cdk-nag names a wildcard finding after the flattened resource ("Resource::<Bucket.Arn>/batches/*");
// its own flattening keeps our acknowledgement ids identical to its findings.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for each of these resources that holds a
 * wildcard, on the construct given (a role: the finding is on its policy, a child). One id per
 * resource, so a wildcard nobody meant to grant is still reported.
 */
const acknowledged = new WeakMap<IConstruct, Set<string>>();

export const acknowledgeWildcardResources = (on: IConstruct, resources: readonly string[], reason: string): void => {
  const stack = Stack.of(on);
  const done = acknowledged.get(on) ?? new Set<string>();
  acknowledged.set(on, done);
  for (const resource of resources) {
    const flat = flattenCfnReference(stack.resolve(resource));
    const id = `AwsSolutions-IAM5[Resource::${flat}]`;
    // Several grants can name the same wildcard on one role: the first reason stands.
    if (!flat.includes('*') || done.has(id)) continue;
    done.add(id);
    Validations.of(on).acknowledge({ id, reason });
  }
};
