import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import { HandlerFunction } from './handlerFunction.ts';
import { StreamConsumer } from './streamConsumer.ts';

export interface OutboxProps {
  readonly eventStoreTable: dynamodb.Table;
  readonly bus: events.IEventBus;
}

/**
 * Every appended event reaches the bus: the event store table's stream feeds a Lambda that puts
 * each stored event on the fleet bus as an EventBridge event (source `lwm2m.fleet`, detail-type
 * the event's name). The append and the publication cannot diverge, because the stream *is* the
 * record of appends: an event is published after it is stored, and every stored event is
 * published (or, failing that, its record lands in the on-failure queue).
 */
export class Outbox extends Construct {
  readonly publisher: HandlerFunction;
  readonly consumer: StreamConsumer;

  constructor(scope: Construct, id: string, props: OutboxProps) {
    super(scope, id);
    this.publisher = new HandlerFunction(this, 'PublishStoredEvents', {
      handler: 'publishStoredEvents',
      environment: { [LAMBDA_ENV.eventBusName]: props.bus.eventBusName },
      timeout: Duration.seconds(60),
    });
    props.bus.grantPutEventsTo(this.publisher.role);
    this.consumer = new StreamConsumer(this, 'Stream', { table: props.eventStoreTable, handler: this.publisher });
  }
}
