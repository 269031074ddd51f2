import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ingestRulePattern } from '../../../schemas/bus/ingest.ts';

export interface EventBusProps {
  /** The append handler: target of the ingest rule. */
  readonly ingestTarget: lambda.IFunction;
  readonly archiveRetention?: Duration;
}

/**
 * The system's custom EventBridge bus (ADR 0003), an archive of everything on it (replay after a
 * bug fix or into a new consumer), and the ingest rule: the pattern is the very object the embedded
 * bus subscribes with (schemas/bus/ingest.ts), so both modes route the same events.
 */
export class EventBus extends Construct {
  readonly bus: events.EventBus;
  readonly ingestRule: events.Rule;
  readonly ingestDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: EventBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'LwM2M fleet: ingestion and domain events' });
    this.bus.archive('Archive', {
      description: 'Every event on the fleet bus, for replay',
      // An archive needs a pattern; every event carries our account, so this keeps them all.
      eventPattern: { account: [Stack.of(this).account] },
      retention: props.archiveRetention ?? Duration.days(365),
    });

    // SSE-SQS, not a customer key: EventBridge can write to it without a key policy grant.
    this.ingestDeadLetters = new sqs.Queue(this, 'IngestDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.ingestDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the ingest rule target: a DLQ of a DLQ would only move the same events again.',
    });
    this.ingestRule = new events.Rule(this, 'IngestRule', {
      eventBus: this.bus,
      description: 'Device facts from the decode step to the append handler',
      eventPattern: { source: [...ingestRulePattern.source], detailType: [...ingestRulePattern['detail-type']] },
      targets: [
        new targets.LambdaFunction(props.ingestTarget, {
          deadLetterQueue: this.ingestDeadLetters,
          retryAttempts: 20,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });
  }
}
