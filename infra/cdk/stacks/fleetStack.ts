import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import { DeviceIngress } from '../constructs/deviceIngress.ts';
import { EventBus } from '../constructs/eventBus.ts';
import { EventStore } from '../constructs/eventStore.ts';
import { HandlerFunction } from '../constructs/handlerFunction.ts';
import { Storage } from '../constructs/storage.ts';

/**
 * The fleet backend on AWS, so far: event store, bus, the ingestion path (IoT rules → decode →
 * bus → append) and the object buckets. It only composes; each capability is its own construct.
 */
export class FleetStack extends Stack {
  readonly eventStore: EventStore;
  readonly eventBus: EventBus;
  readonly storage: Storage;
  readonly ingress: DeviceIngress;
  readonly append: HandlerFunction;
  readonly decode: HandlerFunction;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.eventStore = new EventStore(this, 'EventStore');

    this.append = new HandlerFunction(this, 'AppendIngestedEvent', {
      handler: 'appendIngestedEvent',
      environment: { [LAMBDA_ENV.eventStoreTable]: this.eventStore.table.tableName },
    });
    this.eventStore.grantStoreAccess(this.append.fn);

    this.eventBus = new EventBus(this, 'EventBus', { ingestTarget: this.append.fn });

    this.decode = new HandlerFunction(this, 'DecodeDeviceMessage', {
      handler: 'decodeDeviceMessage',
      environment: { [LAMBDA_ENV.eventBusName]: this.eventBus.bus.eventBusName },
      timeout: Duration.seconds(15),
    });
    this.eventBus.bus.grantPutEventsTo(this.decode.fn);

    this.ingress = new DeviceIngress(this, 'DeviceIngress', { decode: this.decode.fn });
    this.storage = new Storage(this, 'Storage');

  }
}
