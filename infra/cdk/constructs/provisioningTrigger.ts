import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import { HandlerFunction } from './handlerFunction.ts';

export interface ProvisioningTriggerProps {
  readonly uploads: Pick<s3.IBucket, 'bucketName'>;
  readonly stateMachine: sfn.IStateMachine;
}

/** The manifest keys the upload API writes (`manifests/b-<inverted time>-<random>.<format>`, ADR 0013), as EventBridge wildcards. */
export const MANIFEST_KEY_WILDCARDS = ['manifests/b-*.csv', 'manifests/b-*.json', 'manifests/b-*.ndjson'] as const;

/** The pattern of the uploads rule; S3 sends its events to the account's default bus. */
export const manifestUploadedPattern = (bucketName: string) => ({
  source: ['aws.s3'],
  'detail-type': ['Object Created'],
  detail: { bucket: { name: [bucketName] }, object: { key: MANIFEST_KEY_WILDCARDS.map((wildcard) => ({ wildcard })) } },
});

/**
 * A manifest landing in the uploads bucket starts provisioning, as the embedded uploads store's
 * onPut does. A rule on S3's "Object Created" (EventBridge notifications are on for the bucket)
 * hands the object key, through an input transformer, to a small Lambda that turns it into the
 * workflow input `{ batchId, manifestKey, format }` and starts an execution *named after the
 * batch*. A rule could target the state machine directly, but an input transformer cannot cut the
 * batch id out of the key, and EventBridge cannot name executions: the batch id the API returned
 * would not be the one the workflow used, and a redelivered event would start a second run.
 */
export class ProvisioningTrigger extends Construct {
  readonly rule: events.Rule;
  readonly starter: HandlerFunction;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ProvisioningTriggerProps) {
    super(scope, id);
    this.starter = new HandlerFunction(this, 'StartProvisioning', {
      handler: 'startProvisioning',
      environment: { [LAMBDA_ENV.provisioningStateMachineArn]: props.stateMachine.stateMachineArn },
      timeout: Duration.seconds(15),
    });
    this.starter.role.addToPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachine.stateMachineArn] }));

    this.deadLetters = new sqs.Queue(this, 'DeadLetters', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the uploads rule target: it keeps upload events whose start failed, for an operator to replay.',
    });
    this.rule = new events.Rule(this, 'ManifestUploaded', {
      description: 'A manifest in the uploads bucket starts the provisioning state machine',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: manifestUploadedPattern(props.uploads.bucketName).detail,
      },
      targets: [
        new targets.LambdaFunction(this.starter.fn, {
          event: events.RuleTargetInput.fromObject({ manifestKey: events.EventField.fromPath('$.detail.object.key') }),
          deadLetterQueue: this.deadLetters,
          retryAttempts: 20,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });
  }
}
