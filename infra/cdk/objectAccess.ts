import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeWildcardResources } from './nagAcknowledgements.ts';

/** What a task does with an object area (functions/objectStore/objectStore.ts port calls). */
export type ObjectAccess = 'read' | 'write' | 'delete';

export interface ObjectArea {
  /** What the grants need of a bucket (a Bucket is one; exactOptionalPropertyTypes refuses it as an IBucket). */
  readonly bucket: Pick<s3.IBucket, 'arnForObjects' | 'bucketArn' | 'bucketName'>;
  /** SSE-KMS key of the area (credentials); reads need Decrypt, writes GenerateDataKey. */
  readonly key?: kms.IKey;
}

/**
 * Grants the S3 (and KMS) actions the S3 object store adapter calls for these uses, on keys under
 * one prefix of the bucket. The wildcard finding is acknowledged on the role, where it is granted.
 * Explicit actions instead of `bucket.grantRead`, which adds
 * `s3:GetObject*`, `s3:List*` and `s3:GetBucket*`.
 *
 * - read (`get`, `getBytes`, `head`): GetObject; and ListBucket on the prefix, without which S3
 *   answers a missing key with 403 instead of 404 and `head` could not say "absent".
 * - write (`put`): PutObject and AbortMultipartUpload (a failed streamed put cleans up its parts).
 * - delete: DeleteObject.
 *
 * `keys` narrows the objects within the prefix (a pattern such as each device's mqtt.json);
 * ListBucket stays on the prefix, which lists names only.
 */
export const grantObjects = (grantee: iam.Role, area: ObjectArea, uses: readonly ObjectAccess[], prefix: string, keys = '*'): void => {
  const objects = area.bucket.arnForObjects(`${prefix}${keys}`);
  const actions = new Set<string>();
  if (uses.includes('read')) actions.add('s3:GetObject');
  if (uses.includes('write')) actions.add('s3:PutObject').add('s3:AbortMultipartUpload');
  if (uses.includes('delete')) actions.add('s3:DeleteObject');
  iam.Grant.addToPrincipal({ grantee, actions: [...actions].sort(), resourceArns: [objects] });
  if (uses.includes('read') || uses.includes('delete')) {
    grantee.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [area.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
    );
  }
  if (area.key) {
    const keyActions = new Set<string>();
    if (uses.includes('read')) keyActions.add('kms:Decrypt');
    // A multipart upload under SSE-KMS decrypts its data key again to complete.
    if (uses.includes('write')) keyActions.add('kms:GenerateDataKey').add('kms:Decrypt');
    if (keyActions.size > 0) iam.Grant.addToPrincipal({ grantee, actions: [...keyActions].sort(), resourceArns: [area.key.keyArn] });
  }
  acknowledgeWildcardResources(
    grantee,
    [objects],
    `Object keys under ${prefix} are data (batch ids, thing names): the task reads or writes any of them, and nothing outside the prefix.`,
  );
};
