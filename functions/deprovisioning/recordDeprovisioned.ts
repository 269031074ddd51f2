import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ThingName } from '../../events/catalog/common.ts';
import { currentDefinition } from '../../events/catalog/index.ts';
import { streamIdFor, type Actor, type NewEvent } from '../../events/envelope.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { readDeviceRecord } from '../provisioning/deviceRecord.ts';
import { CertificateIds, parseDeprovisioningInput } from './deprovisioningInput.ts';

export const DEPROVISIONING_ACTOR: Actor = { kind: 'system', id: 'deprovisioning' };

export interface RecordDeprovisionedDeps {
  readonly eventStore: EventStore;
}

export const RecordDeprovisionedInput = z.object({
  thingName: ThingName,
  reason: z.string().min(1).max(500).nullable().optional(),
  certificateIds: CertificateIds,
  /** `$$.Execution.Name`: the event id comes from it, so a retried task appends once. */
  executionName: z.string().min(1).max(80),
});

/** The event id of one run's DeviceDeprovisioned. */
export const deprovisionedEventId = (thingName: string, executionName: string): string =>
  `DeviceDeprovisioned-${createHash('sha256').update(JSON.stringify(['DeviceDeprovisioned', thingName, executionName])).digest('hex').slice(0, 40)}`;

/**
 * RecordDeprovisioned: appends DeviceDeprovisioned to the device's stream, unless the stream
 * already says deprovisioned (another run got there first). A retry of this task appends nothing
 * new: the store is idempotent by event id, and the id comes from the execution.
 */
export const recordDeprovisioned =
  (deps: RecordDeprovisionedDeps) =>
  async (input: unknown): Promise<{ eventId: string; appended: boolean }> => {
    const { thingName, reason, certificateIds, executionName } = parseDeprovisioningInput(RecordDeprovisionedInput, input, 'RecordDeprovisioned');
    const eventId = deprovisionedEventId(thingName, executionName);
    const { row } = await readDeviceRecord(deps.eventStore, thingName);
    if (row?.status === 'deprovisioned') return { eventId, appended: false };
    const definition = currentDefinition.get('DeviceDeprovisioned');
    if (!definition) throw new Error('DeviceDeprovisioned is not in the event catalog: add it to events/catalog before deprovisioning.');
    const data = definition.schema.parse({
      thingName,
      ...(certificateIds[0] === undefined ? {} : { certificateId: certificateIds[0] }),
      ...(reason ? { reason } : {}),
    });
    const event: NewEvent = { eventId, type: 'DeviceDeprovisioned', typeVersion: definition.version, data, actor: DEPROVISIONING_ACTOR, correlationId: executionName };
    const result = await deps.eventStore.append({ streamId: streamIdFor.device(thingName), events: [event], expectedVersion: 'any' });
    return { eventId, appended: result.status === 'appended' };
  };
