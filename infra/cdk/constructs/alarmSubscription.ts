import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DOMAIN_EVENT_SOURCE } from '../../../functions/lambda/storedEventPublisher.ts';

export interface AlarmSubscriptionProps {
  readonly bus: events.IEventBus;
}

/** The pattern of the example subscription: every alarm raised, published by the outbox. */
export const ALARMS_RAISED_PATTERN = { source: [DOMAIN_EVENT_SOURCE], 'detail-type': ['AlarmRaised'] };

/**
 * An example of how a downstream system subscribes: a rule on the fleet bus taking every
 * AlarmRaised into an SQS queue that the consumer polls (an on-call tool, a ticketing bridge). A
 * consumer in another account would put the rule on its own bus behind a cross-account rule
 * instead; the pattern is the same. Messages the consumer fails to handle five times move to a
 * dead-letter queue.
 */
export class AlarmSubscription extends Construct {
  readonly rule: events.Rule;
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: AlarmSubscriptionProps) {
    super(scope, id);
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the alarms queue (and of the rule target): alarms a consumer could not take wait here.',
    });
    // SSE-SQS: EventBridge can send to it without a KMS key policy grant.
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
    });
    this.rule = new events.Rule(this, 'Rule', {
      eventBus: props.bus,
      description: 'Example downstream subscription: every AlarmRaised to an SQS queue',
      eventPattern: { source: ALARMS_RAISED_PATTERN.source, detailType: ALARMS_RAISED_PATTERN['detail-type'] },
      targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetters, retryAttempts: 20, maxEventAge: Duration.hours(24) })],
    });
  }
}
