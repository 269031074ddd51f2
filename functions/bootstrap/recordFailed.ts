import { z } from 'zod';
import type { EventStore } from '../eventStore/eventStore.ts';
import { redactPem } from '../registry/registryErrors.ts';
import { BootstrapInput, parseTaskInput } from './bootstrapInput.ts';
import { deviceStreamId } from './bootstrapStreams.ts';
import { derivedEvent } from '../shared/derivedEvent.ts';
import { BOOTSTRAP_ACTOR } from './bootstrapActor.ts';

export interface RecordFailedDeps {
  readonly eventStore: Pick<EventStore, 'append'>;
}

export const RecordFailedInput = BootstrapInput.pick({ thingName: true, bridgeId: true, trigger: true }).extend({
  /** The device's LwM2M answer (e.g. "4.04"), "timeout" when no result came, "internal" when the backend failed. */
  lwm2mCode: z.string().min(1).max(16),
  message: z.string().max(4000),
});

/** RecordFailed: a provisioned device that should have received credentials did not; the code says where it broke. */
export const recordFailed =
  (deps: RecordFailedDeps) =>
  async (input: unknown): Promise<{ eventId: string; lwm2mCode: string }> => {
    const { thingName, bridgeId, trigger, lwm2mCode, message } = parseTaskInput(RecordFailedInput, input, 'RecordFailed');
    // The message may carry a task's error text: redact it as every error leaving a task is.
    const data = { thingName, endpoint: thingName, bridgeId, lwm2mCode, message: redactPem(message).slice(0, 1000) };
    const event = derivedEvent('BootstrapFailed', data, [thingName, bridgeId, trigger], BOOTSTRAP_ACTOR, trigger);
    await deps.eventStore.append({ streamId: deviceStreamId(thingName), expectedVersion: 'any', events: [event] });
    return { eventId: event.eventId, lwm2mCode };
  };
