import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HandlerFunction } from './handlerFunction.ts';

export interface StreamConsumerProps {
  readonly table: dynamodb.Table;
  readonly handler: HandlerFunction;
  readonly batchSize?: number;
}

/**
 * Only commit inserts carry events (ADR 0002: claims and the meta item share the table, and only a
 * commit has `gsk`). Lambda drops the other records before invoking, so they cost nothing; the
 * handlers check again. Lambda's filter syntax is EventBridge's pattern syntax.
 */
export const COMMIT_INSERT_FILTER = { eventName: ['INSERT'], dynamodb: { NewImage: { gsk: { S: [{ exists: true }] } } } };

/** Attempts of a failing batch before its records go to the on-failure queue. */
export const STREAM_RETRY_ATTEMPTS = 10;

/**
 * A Lambda reading the event store table's stream from its start, one batch per shard at a time
 * (order per device stream is kept), reporting batch item failures (a retry starts at the first
 * record that failed, not at the batch's start) and splitting a batch that keeps failing. A
 * record that still fails after STREAM_RETRY_ATTEMPTS goes to the on-failure queue: the queue
 * holds the shard and sequence numbers, the events stay in the table (replay them with readAll).
 */
export class StreamConsumer extends Construct {
  readonly mapping: lambda.EventSourceMapping;
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error(`The event store table ${props.table.node.path} has no stream: dynamoTableDesign.ts sets one; did it change?`);

    this.failures = new sqs.Queue(this, 'Failures', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the on-failure destination of a stream consumer: it records which stream records failed, for an operator to replay.',
    });

    // What table.grantStreamRead grants, written out so that the one action on "*" sits beside
    // its acknowledgement.
    const role = props.handler.role;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], resources: [streamArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams has no resource type in IAM (Lambda polls it for a DynamoDB event source); everything else here names its resource.',
    });

    this.mapping = new lambda.EventSourceMapping(this, 'Mapping', {
      target: props.handler.fn,
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 100,
      maxBatchingWindow: Duration.seconds(1),
      parallelizationFactor: 1,
      bisectBatchOnError: true,
      retryAttempts: STREAM_RETRY_ATTEMPTS,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.failures),
      filters: [{ pattern: JSON.stringify(COMMIT_INSERT_FILTER) }],
    });
  }
}
