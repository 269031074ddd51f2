import { z } from 'zod';
import type { EventStore } from '../eventStore/eventStore.ts';
import { redactPem } from '../registry/registryErrors.ts';
import { BootstrapInput, parseTaskInput } from './bootstrapInput.ts';
import { deviceStreamId } from './bootstrapStreams.ts';
import { derivedEvent } from '../shared/derivedEvent.ts';
import { BOOTSTRAP_ACTOR } from './bootstrapActor.ts';
import { concludeMissedResult } from './lateResult.ts';

export interface RecordFailedDeps {
  readonly eventStore: Pick<EventStore, 'append' | 'readStream'>;
}

/** The delivery a timeout gave up on, as DeliverCredentials returned it (`$.delivery`). */
const GivenUpDelivery = z.object({
  requestId: z.string().min(1).max(64),
  brokerUri: z.string().min(1).max(512),
  fromPosition: z.number().int().nonnegative(),
});

export const RecordFailedInput = BootstrapInput.pick({ thingName: true, bridgeId: true, trigger: true }).extend({
  failure: z.object({
    /** The device's LwM2M answer (e.g. "4.04"), "timeout" when no result came, "internal" when the backend failed. */
    lwm2mCode: z.string().min(1).max(16),
    message: z.string().max(4000),
    /** Only a timeout passes it: the workflow stopped waiting without the bridge's word, so a later result may still conclude it. */
    delivery: GivenUpDelivery.optional(),
  }),
});

export interface Recorded {
  readonly eventId: string;
  readonly lwm2mCode: string;
  /** The DeviceBootstrapped appended because the bridge's ok had landed just after the last check; null otherwise. */
  readonly lateEventId: string | null;
}

/**
 * RecordFailed: a provisioned device that should have received credentials did not; the code says
 * where it broke. A timeout names the delivery it gave up on (request id, broker URI), so that a
 * bridge result arriving later can still conclude it (lateResult.ts), and then looks once more for
 * a result that landed after the last check: such an ok concludes the bootstrap here.
 */
export const recordFailed =
  (deps: RecordFailedDeps) =>
  async (input: unknown): Promise<Recorded> => {
    const { thingName, bridgeId, trigger, failure } = parseTaskInput(RecordFailedInput, input, 'RecordFailed');
    const { lwm2mCode, message, delivery } = failure;
    // The message may carry a task's error text: redact it as every error leaving a task is.
    const data = {
      thingName,
      endpoint: thingName,
      bridgeId,
      lwm2mCode,
      message: redactPem(message).slice(0, 1000),
      ...(delivery === undefined ? {} : { requestId: delivery.requestId, brokerUri: delivery.brokerUri }),
    };
    const event = derivedEvent('BootstrapFailed', data, [thingName, bridgeId, trigger], BOOTSTRAP_ACTOR, trigger);
    await deps.eventStore.append({ streamId: deviceStreamId(thingName), expectedVersion: 'any', events: [event] });
    const late = delivery === undefined ? undefined : await concludeMissedResult(deps.eventStore, thingName, { ...delivery, bridgeId });
    return { eventId: event.eventId, lwm2mCode, lateEventId: late?.eventId ?? null };
  };
