import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import type { EventStore } from './eventStore.ts';
import { HandlerFunction } from './handlerFunction.ts';
import type { Projections } from './projections.ts';

export interface CommandExpiryProps {
  readonly eventStore: EventStore;
  readonly projections: Projections;
}

/** How often the sweep runs: a command times out at most this long after its expiry. */
export const EXPIRY_SCHEDULE = Duration.minutes(1);

/**
 * Command expiry on AWS (functions/lambda/expireCommands.ts): an EventBridge schedule runs the sweep
 * every minute, which reads the open commands past their expiry from the audit table's
 * openByExpiry index and times each out through expireCommand. Embedded sets a timer for the
 * soonest expiry instead; a Lambda cannot sleep, and a minute's lateness on a timeout measured in
 * minutes is what a schedule costs. A failed run is retried by the target, then kept in the
 * dead-letter queue; the next run finds the same commands anyway, so nothing stays open.
 */
export class CommandExpiry extends Construct {
  readonly sweeper: HandlerFunction;
  readonly rule: events.Rule;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: CommandExpiryProps) {
    super(scope, id);
    const audit = props.projections.tables.commandAudit;
    this.sweeper = new HandlerFunction(this, 'ExpireCommands', {
      handler: 'expireCommands',
      environment: { [LAMBDA_ENV.eventStoreTable]: props.eventStore.table.tableName, [LAMBDA_ENV.commandAuditTable]: audit.tableName },
      // Ten batches of 100 commands, each a read and an append: well within a minute.
      timeout: Duration.seconds(50),
    });
    // expireCommand reads the command's stream and appends CommandTimedOut; the sweep reads the open index only.
    props.eventStore.grantStoreAccess(this.sweeper.role, 'readWrite');
    props.projections.grantExpiryReads(this.sweeper.role);

    this.deadLetters = new sqs.Queue(this, 'DeadLetters', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the expiry schedule target: it keeps the runs that failed after their retries, for an operator to look at.',
    });
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Times out the open commands past their expiry',
      schedule: events.Schedule.rate(EXPIRY_SCHEDULE),
      targets: [
        new targets.LambdaFunction(this.sweeper.fn, {
          deadLetterQueue: this.deadLetters,
          retryAttempts: 2,
          // A run older than the next one is worth nothing: the next finds the same commands.
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });
  }
}
