import { z } from 'zod';
import type { EventStore } from '../eventStore/eventStore.ts';
import { BootstrapInput, parseTaskInput } from './bootstrapInput.ts';
import { rejectionAppend } from './bootstrapEvents.ts';

export interface RecordRejectedDeps {
  readonly eventStore: Pick<EventStore, 'append'>;
}

export const RecordRejectedInput = BootstrapInput.pick({ thingName: true, bridgeId: true, trigger: true }).extend({
  reason: z.enum(['unknown-device', 'deprovisioned', 'already-bootstrapped', 'not-active', 'unauthenticated']),
  known: z.boolean(),
});

/** RecordRejected: the refusal is an event (BootstrapRejected), in the device's stream or, for a stranger, the endpoint's. */
export const recordRejected =
  (deps: RecordRejectedDeps) =>
  async (input: unknown): Promise<{ eventId: string; reason: string }> => {
    const { thingName, bridgeId, trigger, reason, known } = parseTaskInput(RecordRejectedInput, input, 'RecordRejected');
    const request = rejectionAppend({ endpoint: thingName, known, bridgeId, reason, trigger });
    await deps.eventStore.append(request);
    return { eventId: request.events[0]!.eventId, reason };
  };
