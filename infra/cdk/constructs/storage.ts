import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface StorageProps {
  readonly reportRetention?: Duration;
}

const ABORT_UPLOADS: s3.LifecycleRule = { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) };

/**
 * The three object areas of ADR 0004, one bucket each so that keys, lifecycle and access differ
 * per area: uploads (a new manifest starts provisioning through EventBridge "Object Created"),
 * credentials (SSE-KMS with a customer-managed, rotated key; every put must use it) and reports.
 * All of them block public access, refuse plain HTTP, and log access to a logs bucket.
 */
export class Storage extends Construct {
  readonly uploads: s3.Bucket;
  readonly credentials: s3.Bucket;
  readonly credentialsKey: kms.Key;
  readonly reports: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    } satisfies s3.BucketProps;

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      // Server access log delivery only writes to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [ABORT_UPLOADS, { id: 'expire-access-logs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access logs bucket itself: logging its access into itself would loop.',
    });
    // aws-cdk-lib's Bucket declares isWebsite as `boolean | undefined`, which our
    // exactOptionalPropertyTypes will not pass as an IBucket; the object is an IBucket all the same.
    const accessLogs = this.accessLogs as unknown as s3.IBucket;
    const logs = (prefix: string) => ({ serverAccessLogsBucket: accessLogs, serverAccessLogsPrefix: `${prefix}/` });

    this.uploads = new s3.Bucket(this, 'Uploads', {
      ...common,
      ...logs('uploads'),
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [ABORT_UPLOADS, { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(90) }],
    });
    // Set on the CloudFormation bucket, not with `eventBridgeEnabled`: that deploys a custom
    // resource Lambda with s3:PutBucketNotification on "*" just to flip this one switch.
    (this.uploads.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    this.credentialsKey = new kms.Key(this, 'CredentialsKey', {
      description: 'Encrypts per-device credentials (certificates and private keys) at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.credentials = new s3.Bucket(this, 'Credentials', {
      ...common,
      ...logs('credentials'),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.credentialsKey,
      // S3 Bucket Keys cut KMS requests per object; the key still encrypts every data key.
      bucketKeyEnabled: true,
      lifecycleRules: [ABORT_UPLOADS, { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) }],
    });
    // ADR 0004: a put that does not ask for SSE-KMS is refused, not silently encrypted otherwise.
    this.credentials.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyPutsWithoutSseKms',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.credentials.arnForObjects('*')],
        conditions: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      }),
    );

    this.reports = new s3.Bucket(this, 'Reports', {
      ...common,
      ...logs('reports'),
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        ABORT_UPLOADS,
        { id: 'expire-reports', expiration: props.reportRetention ?? Duration.days(365), noncurrentVersionExpiration: Duration.days(30) },
      ],
    });
  }
}
