import { z } from 'zod';
import type { EventStore } from '../eventStore/eventStore.ts';
import { BootstrapInput, parseTaskInput } from './bootstrapInput.ts';
import { deviceStreamId } from './bootstrapStreams.ts';
import { derivedEvent } from '../shared/derivedEvent.ts';
import { BOOTSTRAP_ACTOR } from './bootstrapActor.ts';

export interface RecordBootstrappedDeps {
  readonly eventStore: Pick<EventStore, 'append'>;
}

export const RecordBootstrappedInput = BootstrapInput.pick({ thingName: true, bridgeId: true, trigger: true }).extend({
  brokerUri: z.string().min(1).max(512),
});

/** RecordBootstrapped: the bridge wrote every resource of object 18830; the device has its MQTT credentials. */
export const recordBootstrapped =
  (deps: RecordBootstrappedDeps) =>
  async (input: unknown): Promise<{ eventId: string }> => {
    const { thingName, bridgeId, trigger, brokerUri } = parseTaskInput(RecordBootstrappedInput, input, 'RecordBootstrapped');
    const event = derivedEvent('DeviceBootstrapped', { thingName, endpoint: thingName, bridgeId, brokerUri }, [thingName, bridgeId, trigger], BOOTSTRAP_ACTOR, trigger);
    await deps.eventStore.append({ streamId: deviceStreamId(thingName), expectedVersion: 'any', events: [event] });
    return { eventId: event.eventId };
  };
